"""The arithmetic of the 12-digit statistical division code, in one place.

The code nests: province 2 digits, city 2, county (district) 2, township (street) 3,
village (community) 3, so 450502001001 (黄海路社区) lies under 450502001000 (东街街道),
450502000000 (海城区), 450500000000 (北海市) and 450000000000 (广西). A region's
descendants share its *prefix* (the digits of its level), and "everything under a
region" is the range [prefix000…, prefix999…] on an indexed code column: a range
rather than `LIKE 'prefix%'`, because a range uses the B-tree on every database and
collation (PostgreSQL uses an index for LIKE only under the C collation or with a
pattern-ops index).
"""

from collections.abc import Iterable

from django.db.models import Q

CODE_LENGTH = 12
# Digits of the code that a region of each level fixes, from the top down.
PREFIX_LENGTH = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12}
LEVELS_TOP_DOWN = tuple(PREFIX_LENGTH)
# A report's level (community → city) as a rank comparable with a region's level.
RANK = {"community": 0, "street": 1, "district": 2, "city": 3, "province": 4}


def prefix(code: str, level: str) -> str:
    """The digits of `code` that its ancestor at `level` fixes."""
    return code[: PREFIX_LENGTH[level]]


def code_at(code: str, level: str) -> str:
    """The code of the region at `level` that contains `code` (450502001001 at street
    level is 450502001000)."""
    return prefix(code, level).ljust(CODE_LENGTH, "0")


def ancestors(code: str) -> list[str]:
    """The codes of every region containing `code`, nearest first, `code` itself
    included (a community has five, a city two)."""
    nearest_first = (code_at(code, level) for level in reversed(LEVELS_TOP_DOWN))
    return list(dict.fromkeys(nearest_first))  # a district's street code is its own code


def is_under(code: str, region_prefix: str) -> bool:
    return code.startswith(region_prefix)


def code_range(region_prefix: str) -> tuple[str, str]:
    return region_prefix.ljust(CODE_LENGTH, "0"), region_prefix.ljust(CODE_LENGTH, "9")


def under_q(field: str, prefixes: Iterable[str]) -> Q:
    """`field` (a code column) under any of the prefixes, as index-friendly ranges;
    matches nothing when there are none."""
    q = Q(pk__in=[])
    for region_prefix in prefixes:
        q |= Q(**{f"{field}__range": code_range(region_prefix)})
    return q
