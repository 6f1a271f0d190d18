"""Builders shared by the photo, report and map tests (their fixtures are in conftest.py).

Images are made in memory with Pillow, or read from `images/` (copied from the shared
test data: real files from cameras and Pillow's own test suite).
"""

import io
import struct
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from accounts.models import User
from gridapp import geo
from gridapp.models import Category, Grid, Photo, Report, ReportEvent

IMAGES = Path(__file__).parent / "images"
HHL05_POINT = (21.4830, 109.1130)  # GCJ-02, inside HHL-05 (DEMO.md)
BUCKET = "gridlink-test"


def image_file(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def camera_exif(*, taken: str = "2026:11:26 09:30:00", offset: str | None = "+08:00",
                gcj02: tuple[float, float] | None = HHL05_POINT,
                orientation: int | None = None) -> Image.Exif:
    """EXIF as a phone writes it: DateTimeOriginal, its offset, GPS in WGS-84 as DMS."""
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"  # Make
    if orientation:
        exif[0x0112] = orientation
    details = exif.get_ifd(0x8769)
    details[0x9003] = taken
    if offset:
        details[0x9011] = offset
    if gcj02:
        lat, lng = geo.gcj02_to_wgs84(*gcj02)
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        gps[3], gps[4] = ("E" if lng >= 0 else "W"), _dms(abs(lng))
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def jpeg_bytes(size: tuple[int, int] = (64, 48), *, mode: str = "RGB", color="red",
               **save_options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "JPEG", **save_options)
    return out.getvalue()


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB",
                color="blue", **save_options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save_options)
    return out.getvalue()


def png_16bit() -> bytes:
    """A 16-bit greyscale gradient: scaled to 8 bits it must not come out all white."""
    image = Image.new("I;16", (64, 32))
    image.putdata([x * 1000 for _y in range(32) for x in range(64)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims width × height (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def animated_gif() -> bytes:
    frames = [Image.new("P", (16, 16), i) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def upload(client, content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg",
           **fields):
    """POST /photos/ as `wx.uploadFile` does: multipart, form fields as strings."""
    headers = {"HTTP_IDEMPOTENCY_KEY": fields.pop("key")} if "key" in fields else {}
    data = {"file": SimpleUploadedFile(name, content, content_type=content_type),
            **{k: str(v) for k, v in fields.items()}}
    return client.post("/api/v1/photos/", data, format="multipart", **headers)


def uploaded_photo_id(client, content: bytes | None = None, **fields) -> int:
    response = upload(client, content or jpeg_bytes(), **fields)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def report_body(**overrides) -> dict:
    lat, lng = HHL05_POINT
    return {"category": "streetlight", "description": "路灯不亮，晚上很黑", "lat": lat, "lng": lng,
            "photo_ids": [], **overrides}


def make_reports(count: int, *, reporter, grid_code: str = "HHL-05",
                 category: str = "streetlight", point: tuple[float, float] = HHL05_POINT,
                 status: str = Report.Status.SUBMITTED, department=None,
                 photos: int = 1) -> list[Report]:
    """Reports straight through the ORM (with a timeline event and photos each), for
    scoping and query-count tests that need many rows fast."""
    grid = Grid.objects.select_related("community").get(code=grid_code)
    cat = Category.objects.get(code=category)
    start = Report.objects.count()
    numbers = [f"T{start + i:014d}" for i in range(count)]
    reports = Report.objects.bulk_create([Report(
        number=number, reporter=reporter, category=cat, description=f"report {i}",
        lat=point[0], lng=point[1], grid=grid, region_code=grid.community.code, status=status,
        department=department, content_check=Report.ContentCheck.PASSED, photo_count=photos,
        thumbnail_name=f"photos/t/{number}-0_t.jpg" if photos else "")
        for i, number in enumerate(numbers)])
    ReportEvent.objects.bulk_create([ReportEvent(
        report=r, action=ReportEvent.Action.SUBMIT, actor=reporter, to_status=r.status,
        level=r.level) for r in reports])
    Photo.objects.bulk_create([Photo(
        owner=reporter, report=r, kind=Photo.Kind.BEFORE, image=f"photos/t/{r.number}-{k}.jpg",
        thumbnail=f"photos/t/{r.number}-{k}_t.jpg", content_type="image/jpeg", width=64,
        height=48, original_format="JPEG", original_bytes=1000, sha256="0" * 64)
        for r in reports for k in range(photos)])
    return reports


def a_year_of_reports(count: int, *, until: datetime, grids: list[Grid], reporters: int,
                      name: str) -> None:
    """A table shaped like a city's for the plan tests: `count` reports back from `until`,
    one every 26 minutes (20,000 make a year), in `grids` and by `reporters` new users
    (called `name`-0, -1, …) in turn, then fresh planner statistics (`ANALYZE`)."""
    users = User.objects.bulk_create([User(username=f"{name}-{i}") for i in range(reporters)])
    category = Category.objects.get(code="streetlight")
    Report.objects.bulk_create([Report(
        number=f"{name[0].upper()}{i:014d}", reporter=users[i % reporters], category=category,
        description="x", lat=21.48, lng=109.11, grid=grids[i % len(grids)],
        region_code=grids[i % len(grids)].community.code,
        created_at=until - timedelta(minutes=26 * i)) for i in range(count)], batch_size=2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE gridapp_report")
