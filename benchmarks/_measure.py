"""What the report-scale benchmarks share: timing one call, and the line that says on
what the figures were measured."""

import os
import platform
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    """Milliseconds one call of `fn` took."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def describe_run(reports: int, started: float | None) -> str:
    """The database, Python and CPUs, and how long building the data took (`started`
    None: the data was kept from an earlier run)."""
    from django.conf import settings

    built = ("kept from an earlier run" if started is None
             else f"built in {time.perf_counter() - started:.0f} s")
    return (f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs; "
            f"{reports:,} reports {built}")
