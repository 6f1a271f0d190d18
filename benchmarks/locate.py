"""Grid locate benchmark: `locate_grid` against a linear scan over every polygon.

    .venv/bin/python benchmarks/locate.py                  # SQLite, a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/x .venv/bin/python benchmarks/locate.py

It never touches the developer's database: when DATABASE_URL names a PostgreSQL server
it creates, migrates and finally drops its own database `gridlink_bench_locate` there;
otherwise it migrates a temporary SQLite file. The cache is a private in-process one.

The city is a generated 100 × 100 block of square grids. `locate_grid` is timed for
10,000 random points, exactly as GET /api/v1/grids/locate/ calls it. The baseline, a
Python loop over all 10,000 shapely polygons in code order, is slow, so it is timed for
200 of those points, interleaved with the lookups. docs/performance.md records the
figures and how to read them.
"""

import argparse
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridapp.models import Region

from _db import setup_django, throwaway_database  # noqa: E402  (benchmarks/ is on sys.path)

BENCH_DB_NAME = "gridlink_bench_locate"
LAT0, LNG0 = 21.40, 109.00  # the generated city's south-west corner (Beihai, GCJ-02)
CELL = 0.002  # degrees, the side of a grid (about 200 m), as in the demo world


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=100, help="grids per side of the city")
    parser.add_argument("--points", type=int, default=10_000, help="points timed for locate")
    parser.add_argument("--scan-points", type=int, default=200,
                        help="points timed for the linear scan (it is slow)")
    parser.add_argument("--seed", type=int, default=20260101)
    return parser.parse_args()


# --- The generated city --------------------------------------------------------------

def build_city(side: int) -> None:
    """side × side square grids in one community, bulk-created with their bounding boxes
    (bulk_create skips Grid.save(), which would compute them)."""
    from gridapp import geo
    from gridapp.models import Grid

    community = _community()
    grids = []
    for row in range(side):
        for col in range(side):
            lat, lng = round(LAT0 + row * CELL, 6), round(LNG0 + col * CELL, 6)
            boundary = geo.rectangle(lat, lng, round(lat + CELL, 6), round(lng + CELL, 6))
            min_lng, min_lat, max_lng, max_lat = geo.polygon_from_geojson(boundary).bounds
            grids.append(Grid(code=f"B{row:03d}-{col:03d}", name=f"Bench {row}-{col}",
                              community=community, boundary=boundary, min_lat=min_lat,
                              min_lng=min_lng, max_lat=max_lat, max_lng=max_lng))
    Grid.objects.bulk_create(grids, batch_size=1000)


def _community() -> "Region":
    from gridapp.models import Region

    parent = None
    for code, level in (("450500000000", "city"), ("450502000000", "district"),
                        ("450502001000", "street"), ("450502001001", "community")):
        parent = Region.objects.create(code=code, name=f"Bench {level}", level=level,
                                       parent=parent)
    return parent


def random_points(count: int, side: int, seed: int) -> list[tuple[float, float]]:
    """Uniform over the city plus a margin of one grid on each side, so that about 4% of
    the points lie outside every grid (the 404 path)."""
    rng = random.Random(seed)
    low_lat, low_lng, extent = LAT0 - CELL, LNG0 - CELL, (side + 2) * CELL
    return [(low_lat + rng.random() * extent, low_lng + rng.random() * extent)
            for _ in range(count)]


# --- The two ways to locate, and the clock -------------------------------------------

def scan_locator() -> Callable[[float, float], str | None]:
    """The baseline: every polygon parsed once up front (not timed), then a loop in code
    order that stops at the first one covering the point: locate's own rule."""
    from shapely.geometry import Point, shape

    from gridapp.models import Grid

    polygons = [(code, shape(boundary)) for code, boundary
                in Grid.objects.order_by("code").values_list("code", "boundary")]

    def scan(lat: float, lng: float) -> str | None:
        point = Point(lng, lat)
        return next((code for code, polygon in polygons if polygon.covers(point)), None)

    return scan


def api_locator() -> Callable[[float, float], str | None]:
    """What GET /api/v1/grids/locate/ runs to find the grid."""
    from gridapp.selectors.grids import locate_grid

    def locate(lat: float, lng: float) -> str | None:
        grid = locate_grid(lat, lng)
        return grid.code if grid else None

    return locate


def timed(locate: Callable[[float, float], str | None], lat: float, lng: float,
          into: list[float]) -> str | None:
    """Calls locate once, appending the microseconds it took."""
    start = time.perf_counter_ns()
    answer = locate(lat, lng)
    into.append((time.perf_counter_ns() - start) / 1000)
    return answer


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


# --- The run -------------------------------------------------------------------------

@dataclass
class Result:
    locate_us: list[float] = field(default_factory=list)
    scan_us: list[float] = field(default_factory=list)
    outside: int = 0  # points in no grid
    mismatches: int = 0  # points where locate and the scan disagreed


def run(args: argparse.Namespace) -> Result:
    """Times both ways interleaved (one scan every `points / scan_points` lookups), so
    that whatever else the machine is doing weighs on both alike."""
    from django.test.utils import override_settings

    build_city(args.side)
    points = random_points(args.points, args.side, args.seed)
    locate, scan = api_locator(), scan_locator()
    every, result = max(1, args.points // args.scan_points), Result()
    # As production runs: DEBUG off, so Django keeps no log of every query.
    with override_settings(DEBUG=False):
        for lat, lng in points[:200]:  # warm up: the connection, the index build
            locate(lat, lng)
        for i, (lat, lng) in enumerate(points):
            answer = timed(locate, lat, lng, result.locate_us)
            result.outside += answer is None
            if i % every == 0 and len(result.scan_us) < args.scan_points:
                result.mismatches += timed(scan, lat, lng, result.scan_us) != answer
    return result


def report(args: argparse.Namespace, result: Result, seconds: float) -> None:
    locate_us, scan_us = result.locate_us, result.scan_us
    ratio = statistics.median(scan_us) / statistics.median(locate_us)
    print(f"Grid locate: {args.side ** 2:,} grids ({args.side} × {args.side}, {CELL}° squares); "
          f"{database_name()}; Python {platform.python_version()}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}")
    line = "  {:<12}{:>7,} points   median {:>8,.0f} µs   p95 {:>8,.0f} µs"
    print(line.format("locate_grid", len(locate_us), statistics.median(locate_us), p95(locate_us)))
    print(line.format("linear scan", len(scan_us), statistics.median(scan_us), p95(scan_us)))
    print(f"  scan / locate (medians): {ratio:,.0f}×;  outside every grid: "
          f"{result.outside:,} of {len(locate_us):,} points;  answers differing from "
          f"the scan: {result.mismatches}")
    met = statistics.median(locate_us) < 200 and ratio >= 100 and not result.mismatches
    print(f"  target (under 200 µs a lookup, at least 100× the scan, same answers): "
          f"{'met' if met else 'MISSED'};  whole run {seconds:.1f} s")


def database_name() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    major, minor = divmod(connection.pg_version, 10000)
    return f"PostgreSQL {major}.{minor}"


def main() -> None:
    args, started = parse_args(), time.perf_counter()
    with throwaway_database(BENCH_DB_NAME) as url:
        setup_django(url, BENCH_DB_NAME)
        result = run(args)
        report(args, result, time.perf_counter() - started)


if __name__ == "__main__":
    main()
