"""Photo pipeline benchmark: our whole upload pipeline against a plain Pillow thumbnail.

    .venv/bin/python benchmarks/photos.py [--runs 15]

The input is a generated 12-megapixel JPEG (4000 × 3000, quality 90) with the EXIF a
phone writes (capture time, GPS, make). Timed, interleaved, in the same run:

- ours: `gridapp.images.process`, everything an upload goes through after the upload
  handler: read, content sniffing, pixel limit and `verify()`, the draft-mode decode,
  EXIF time and GPS (to GCJ-02), `exif_transpose`, the stored image (long side within
  2560 px, metadata stripped, ICC kept), the 480 px thumbnail, SHA-256 of the original;
- baseline: what a naive handler does with Pillow's defaults: open, decode fully, make a
  480 px thumbnail, save it.

Peak memory is how far each variant raises the resident set (Linux's VmHWM, reset
before each measurement).
No database is used. docs/performance.md records the figures.
"""

import argparse
import io
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SIZE = (4000, 3000)
THUMBNAIL = (480, 480)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each variant")
    return parser.parse_args()


def setup() -> None:
    import django

    django.setup()


def camera_jpeg() -> bytes:
    """A photo-like 12 MP JPEG: smooth gradients under sensor-like noise (pure noise would
    be unrealistically hard to compress, flat colour unrealistically easy)."""
    from PIL import Image, ImageFilter

    from gridapp import geo

    width, height = SIZE
    gradient = Image.linear_gradient("L").resize(SIZE)
    noise = Image.effect_noise((width // 4, height // 4), 40).resize(SIZE, Image.BICUBIC)
    grain = Image.effect_noise(SIZE, 12)
    channels = [Image.blend(gradient, noise, 0.35),
                Image.blend(gradient.transpose(Image.Transpose.ROTATE_180), grain, 0.3),
                Image.blend(noise.filter(ImageFilter.BLUR), grain, 0.4)]
    image = Image.merge("RGB", channels)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Xiaomi", "Redmi Note 9S"
    exif.get_ifd(0x8769).update({0x9003: "2026:11:26 21:30:00", 0x9011: "+08:00"})
    lat, lng = geo.gcj02_to_wgs84(21.4830, 109.1130)
    exif.get_ifd(0x8825).update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lng)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def ours(data: bytes) -> None:
    from gridapp import images as photos

    result = photos.process(io.BytesIO(data))
    assert result.gps is not None and result.taken_at is not None


def baseline(data: bytes) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    image.thumbnail(THUMBNAIL)
    image.save(io.BytesIO(), "JPEG")


def timed(fn: Callable[[bytes], None], data: bytes) -> float:
    start = time.perf_counter()
    fn(data)
    return (time.perf_counter() - start) * 1000


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def peak_mb(fn: Callable[[bytes], None], data: bytes) -> float:
    """How far the resident set rises above where it was while `fn` runs: Linux resets
    the high-water mark (VmHWM) when "5" is written to /proc/self/clear_refs, and the
    kernel sees Pillow's native image buffers that tracemalloc would miss."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _status_kb("VmRSS")
    fn(data)
    return (_status_kb("VmHWM") - before) / 1024


def main() -> None:
    args = parse_args()
    setup()
    from django.conf import settings
    from PIL import Image

    from gridapp import images as photos

    data = camera_jpeg()
    stored = photos.process(io.BytesIO(data))
    for fn in (ours, baseline):  # warm-up: imports, decoder tables
        fn(data)
    variants = {"ours": ours, "baseline": baseline}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _run in range(args.runs):  # interleaved, so that machine load hits both alike
        for name, fn in variants.items():
            times[name].append(timed(fn, data))
    print(f"Python {platform.python_version()}, Pillow {Image.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}")
    print(f"input: {SIZE[0]} x {SIZE[1]} JPEG with EXIF, {len(data) / 1e6:.2f} MB; stored "
          f"{stored.width} x {stored.height} ({len(stored.image) / 1e6:.2f} MB, cap "
          f"{settings.PHOTO_MAX_SIDE}), thumbnail {len(stored.thumbnail) / 1e3:.0f} kB")
    print(f"{'variant':<10} {'median ms':>10} {'p90 ms':>8} {'min ms':>8} {'peak MB':>8}")
    for name, samples in times.items():
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"{name:<10} {statistics.median(samples):>10.1f} {p90:>8.1f} "
              f"{min(samples):>8.1f} {peak_mb(variants[name], data):>8.1f}")
    ratio = statistics.median(times["ours"]) / statistics.median(times["baseline"])
    print(f"ours / baseline = {ratio:.2f} (target < 1); ours under 250 ms: "
          f"{statistics.median(times['ours']) < 250}")


if __name__ == "__main__":
    main()
