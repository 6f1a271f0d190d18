"""Every grid's polygon in an in-process spatial index (shapely's STRtree), for `locate`.

Locating a point is the hottest read of intake: every report and every map tap asks it.
With the polygons in memory the lookup itself takes a few microseconds; what remains is
one primary-key read of `GridIndexVersion.token`, which the database changes by trigger
with every write to the grid table. A process whose index was built under another token
rebuilds it before answering, so an edit made anywhere (the admin, a bulk load, another
worker) is seen by the very next locate, everywhere. docs/performance.md has the figures.
"""

import json
import threading
from dataclasses import dataclass

from django.db import connections
from shapely import STRtree
from shapely.geometry import Point, Polygon, shape

from gridapp.models import Grid, GridIndexVersion

# What the index keeps of each grid: enough to hand back a Grid without a query.
_FIELDS = ("id", "code", "name", "community_id", "min_lat", "min_lng", "max_lat", "max_lng")


@dataclass(frozen=True)
class _Index:
    token: int
    tree: STRtree  # polygons in code order: the smallest hit is the smallest code
    rows: tuple[tuple, ...]  # _FIELDS values, parallel to the tree's polygons
    boundaries: tuple[str, ...]  # GeoJSON text, parsed again for each answer (never shared)

    def locate(self, lat: float, lng: float, alias: str) -> Grid | None:
        hits = self.tree.query(Point(lng, lat), predicate="covered_by")
        if len(hits) == 0:
            return None
        first = int(hits.min())
        grid = Grid.from_db(alias, _FIELDS, self.rows[first])
        grid.boundary = json.loads(self.boundaries[first])
        return grid


_indexes: dict[str, _Index] = {}
_rebuilding = threading.Lock()
_TOKEN_SQL = f"SELECT token FROM {GridIndexVersion._meta.db_table} WHERE id = 1"


def locate(lat: float, lng: float, alias: str = "default") -> Grid | None:
    """The grid covering a GCJ-02 point; on a shared edge, the one with the smallest code."""
    return _current(alias).locate(lat, lng, alias)


def _current(alias: str) -> _Index:
    token = _token(alias)
    index = _indexes.get(alias)
    if index is None or index.token != token:
        with _rebuilding:  # one thread rebuilds; the others then find it done
            index = _indexes.get(alias)
            if index is None or index.token != token:
                index = _indexes[alias] = _build(alias, token)
    return index


def _token(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(_TOKEN_SQL)
        row = cursor.fetchone()
    return row[0] if row else 0


def _build(alias: str, token: int) -> _Index:
    """Reads every grid once. Labelled with the token read *before* the grids, so an edit
    committed in between only makes the next locate rebuild again, never go stale."""
    rows, polygons, boundaries = [], [], []
    for *fields, boundary in (Grid.objects.using(alias).order_by("code")
                              .values_list(*_FIELDS, "boundary").iterator(chunk_size=2000)):
        rows.append(tuple(fields))
        polygons.append(_polygon(boundary))
        boundaries.append(json.dumps(boundary))
    return _Index(token=token, tree=STRtree(polygons), rows=tuple(rows),
                  boundaries=tuple(boundaries))


def _polygon(boundary: dict) -> Polygon:
    return shape(boundary)
