"""The 12-digit division code (gridapp.divisions): cut, climbed and ranged in one place."""

import pytest

from gridapp import divisions
from gridapp.models import Region

HHL = "450502001001"  # 黄海路社区


@pytest.mark.parametrize("level, code", [
    ("community", HHL), ("street", "450502001000"), ("district", "450502000000"),
    ("city", "450500000000"), ("province", "450000000000")])
def test_code_at_is_the_containing_region_at_that_level(level, code):
    assert divisions.code_at(HHL, level) == code


def test_ancestors_are_nearest_first_and_include_the_code_itself():
    assert divisions.ancestors(HHL) == [HHL, "450502001000", "450502000000", "450500000000",
                                        "450000000000"]
    assert divisions.ancestors("450500000000") == ["450500000000", "450000000000"]


def test_under_q_matches_descendants_and_nothing_when_empty(world):
    under_street = Region.objects.filter(divisions.under_q("code", ("450502001",)))

    assert set(under_street.values_list("name", flat=True)) == {"东街街道", "黄海路社区",
                                                                "和平路社区"}
    assert not Region.objects.filter(divisions.under_q("code", ())).exists()


def test_a_prefix_does_not_match_a_sibling_whose_code_starts_alike(world):
    """450502001 (东街街道) must not take in 4505020010xx's neighbour 450502010000."""
    low, high = divisions.code_range("450502001")
    assert low <= HHL <= high
    assert not low <= "450502010000" <= high
