"""The console's two charts as plain geometry for an inline SVG (no chart library, no
JavaScript): the four-quadrant scorecard chart and the daily trend. The templates draw
what these compute; tests check the placement."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 40  # room for the axes' labels


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    quadrant: str
    url: str
    anchor: str = "start"  # the label's side: right of the point, or left near the edge

    @property
    def label_x(self) -> float:
        return self.x + 9 if self.anchor == "start" else self.x - 9


@dataclass(frozen=True)
class QuadrantChart:
    width: int
    height: int
    points: list[Point]
    threshold_x: float  # the "fast" line
    threshold_y: float  # the "effective" line
    x_ticks: list[tuple[float, str]]  # (position, hours)
    y_ticks: list[tuple[float, str]]  # (position, percent)
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    quadrant_names: list[tuple[float, float, str]]  # the centre of each quadrant, its letter


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    return start + (value - low) / (high - low) * (end - start)


def quadrant_chart(cards: Iterable, *, fast_hours: Decimal, effect_rate: Decimal,
                   url_of) -> QuadrantChart:
    """Response speed (median hours, fast on the left) against resolution effect (share
    closed without a reopen or a return, effective at the top), with the thresholds
    as lines. A department with too few reports is not placed; one that started none of
    its reports sits on the right edge (slow)."""
    placed = [c for c in cards if not c.too_few_reports]
    medians = [float(c.response_hours_median) for c in placed
               if c.response_hours_median is not None]
    high_x = max([2 * float(fast_hours), *medians]) * 1.1 or 1.0
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM

    def x_of(hours: float) -> float:
        return round(_scale(hours, 0, high_x, left, right), 1)

    def y_of(rate: float) -> float:
        return round(_scale(rate, 0, 1, bottom, top), 1)

    points = []
    for card in placed:
        median = card.response_hours_median
        x = x_of(float(median)) if median is not None else right
        points.append(Point(x=x, y=y_of(float(card.effect_rate or 0)),
                            label=card.department.name, quadrant=card.quadrant or "",
                            url=url_of(card),
                            anchor="end" if x > (left + right) / 2 else "start"))
    step = _nice_step(high_x / 5)
    x_ticks = [(x_of(k * step), f"{k * step:g}") for k in range(int(high_x // step) + 1)]
    y_ticks = [(y_of(k / 4), f"{k * 25}%") for k in range(5)]
    fast, effective = x_of(float(fast_hours)), y_of(float(effect_rate))
    names = [((left + fast) / 2, (top + effective) / 2, "A"),
             ((fast + right) / 2, (top + effective) / 2, "B"),
             ((left + fast) / 2, (effective + bottom) / 2, "C"),
             ((fast + right) / 2, (effective + bottom) / 2, "D")]
    return QuadrantChart(WIDTH, HEIGHT, points, fast, effective, x_ticks, y_ticks,
                         (left, top, right, bottom), names)


def _nice_step(rough: float) -> float:
    """1, 2 or 5 times a power of ten, at least `rough`."""
    power = 10 ** len(str(int(rough))) / 10 if rough >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return factor * power
    return 10 * power


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y: float  # the top of the submitted bar
    height: float
    closed_y: float  # where the closed line passes
    date: str
    submitted: int
    closed: int


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    bars: list[Bar]
    closed_path: str  # the closed reports per day, an SVG polyline's points
    y_ticks: list[tuple[float, int]]
    plot: tuple[float, float, float, float]


TREND_WIDTH, TREND_HEIGHT = 1200, 280  # the width of a desk's page


def trend_chart(trend: Sequence[dict]) -> TrendChart:
    """Reports submitted per day as bars, closed per day as a line."""
    left, top, right, bottom = LEFT, TOP, TREND_WIDTH - RIGHT, TREND_HEIGHT - BOTTOM
    peak = max([1, *(d["submitted"] for d in trend), *(d["closed"] for d in trend)])
    step = _nice_step(peak / 4)
    high = step * (int(peak // step) + 1)
    slot = (right - left) / max(1, len(trend))

    def y_of(count: float) -> float:
        return round(_scale(count, 0, high, bottom, top), 1)

    bars = [Bar(x=round(left + i * slot + slot * 0.15, 1), width=round(slot * 0.7, 1),
                y=y_of(d["submitted"]), height=round(bottom - y_of(d["submitted"]), 1),
                closed_y=y_of(d["closed"]), date=d["date"], submitted=d["submitted"],
                closed=d["closed"]) for i, d in enumerate(trend)]
    path = " ".join(f"{b.x + b.width / 2:.1f},{b.closed_y}" for b in bars)
    ticks = [(y_of(k * step), int(k * step)) for k in range(int(high // step) + 1)]
    return TrendChart(TREND_WIDTH, TREND_HEIGHT, bars, path, ticks, (left, top, right, bottom))
