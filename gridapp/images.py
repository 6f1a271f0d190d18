"""The photo pipeline: from an uploaded file to a clean stored image and its thumbnail.

In this order, as the upload issue fixes it:
1. size: `SizeLimitUploadHandler` counts bytes while the body streams in and stops at
   `PHOTO_MAX_BYTES`, so an oversized upload is never read whole, let alone into memory;
2. format by content (magic bytes), never by file name: JPEG, PNG, WebP, and HEIC when
   pillow-heif is installed;
3. decompression bombs: the declared pixel count is checked against `PHOTO_MAX_PIXELS`
   from the header, before any pixel is decoded;
4. `verify()`, then a fresh open for decoding (Pillow requires it);
5. `ImageOps.exif_transpose`, EXIF `DateTimeOriginal` and GPS (WGS-84 → GCJ-02);
6. re-encode without any metadata (EXIF, XMP, GPS, comments gone; ICC kept) with the long
   side within `PHOTO_MAX_SIDE`, and a thumbnail of `PHOTO_THUMBNAIL_SIDE`;
7. SHA-256 of the original bytes.

JPEG is decoded once, in draft mode: libjpeg scales in the DCT domain by 1/2, 1/4 or
1/8 while it decodes, which is far cheaper than decoding every pixel and resampling
afterwards (benchmarks/photos.py). We take the largest such scale whose long side fits
the cap, so a 4000 × 3000 phone photo is stored at 2000 × 1500 (more than any phone
screen shows) and never resampled; the thumbnail is made from that same decode. Other
formats have no such decoder trick and are resampled to the cap.
"""

import datetime as dt
import hashlib
import io
import logging
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from gridapp import geo
from gridapp.errors import FileTooLarge, ImageInvalid, UnsupportedMedia

log = logging.getLogger(__name__)

try:  # optional: HEIC is what iPhones shoot, but the library is a large native wheel
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_AVAILABLE = False

JPEG, PNG, WEBP, HEIF = "JPEG", "PNG", "WEBP", "HEIF"
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
DRAFT_SCALES = (1, 2, 4, 8)  # what libjpeg can do while decoding
THUMBNAIL_QUALITY = 75
# Pillow's decoders raise these on malformed data, depending on the format and the spot.
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError,
                 IndexError, KeyError, EOFError, struct.error, ZeroDivisionError)

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LNG_REF, GPS_LNG = 1, 2, 3, 4


def too_many_bytes() -> FileTooLarge:
    return FileTooLarge(_("The file is larger than %(mb)s MB.")
                        % {"mb": round(settings.PHOTO_MAX_BYTES / 1024 / 1024, 1)})


def too_many_pixels() -> FileTooLarge:
    return FileTooLarge(_("The image has more than %(mp)s megapixels.")
                        % {"mp": round(settings.PHOTO_MAX_PIXELS / 1_000_000, 1)})


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the upload handler chain: refuses a body whose declared length is over the
    limit before reading it, and counts file bytes as they stream in for bodies that
    declare none (chunked) or lie. Passes every chunk on unchanged."""

    ENVELOPE_BYTES = 64 * 1024  # multipart boundaries and the small form fields

    def __init__(self, request=None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = limit if limit is not None else settings.PHOTO_MAX_BYTES
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit + self.ENVELOPE_BYTES:
            raise too_many_bytes()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise too_many_bytes()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    extension: str
    content_type: str
    width: int
    height: int
    original_format: str
    original_bytes: int
    sha256: str
    taken_at: dt.datetime | None
    gps: tuple[float, float] | None  # GCJ-02


def process(upload, *, before_decoding: Callable[[int], None] | None = None) -> ProcessedPhoto:
    """Run the whole pipeline on an uploaded file; raise 413, 415 or 400 domain errors.
    `before_decoding` is told the image's pixel count once its header has passed."""
    data = read_upload(upload)
    fmt = sniff(data)
    pixels = _check_header(data, fmt)
    if before_decoding is not None:
        before_decoding(pixels)
    image = _decode(data, fmt)
    taken_at, gps = read_exif(_exif_of(image))
    _upright(image)
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "L") else None
    image = _to_output_mode(image)
    image = _fit(image, settings.PHOTO_MAX_SIDE)
    thumbnail = _fit(image, settings.PHOTO_THUMBNAIL_SIDE)
    extension, content_type = _output_format()
    return ProcessedPhoto(
        image=encode(image, icc, settings.PHOTO_QUALITY),
        thumbnail=encode(thumbnail, icc, THUMBNAIL_QUALITY),
        extension=extension, content_type=content_type, width=image.width,
        height=image.height, original_format=fmt, original_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), taken_at=taken_at, gps=gps)


def read_upload(upload) -> bytes:
    """The original bytes: at most `PHOTO_MAX_BYTES`, which the upload handler has already
    enforced while streaming (this check is for callers that bypass it)."""
    upload.seek(0)
    data = upload.read(settings.PHOTO_MAX_BYTES + 1)
    if len(data) > settings.PHOTO_MAX_BYTES:
        raise too_many_bytes()
    if not data:
        raise ImageInvalid(_("The file is empty."))
    return data


def sniff(data: bytes) -> str:
    """The format from the magic bytes; 415 for anything outside the allowlist."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if _is_heif(data):
        if not HEIF_AVAILABLE:
            raise UnsupportedMedia(_("HEIC photos are not supported by this server; "
                                     "please send JPEG."))
        return HEIF
    raise UnsupportedMedia()


def _is_heif(data: bytes) -> bool:
    """An ISO-BMFF `ftyp` box whose major or compatible brands name HEVC-coded HEIF."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return False
    box_size = min(int.from_bytes(data[:4], "big"), len(data), 256)
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, box_size - 3, 4)}
    return bool(brands & HEIF_BRANDS)


def _open(data: bytes, fmt: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=[fmt])
    except Image.DecompressionBombError:
        raise too_many_pixels()
    except DECODE_ERRORS:
        raise ImageInvalid()


def _check_header(data: bytes, fmt: str) -> int:
    """Pixel limit and animation from the header alone, then Pillow's `verify()`; the
    number of pixels."""
    with _open(data, fmt) as image:
        width, height = image.size
        if width < 1 or height < 1:
            raise ImageInvalid()
        if width * height > settings.PHOTO_MAX_PIXELS:
            raise too_many_pixels()
        # A JPEG with a second frame is an MPO (depth map, preview): we keep the first.
        if fmt in (PNG, WEBP) and getattr(image, "is_animated", False):
            raise UnsupportedMedia(_("Animated images are not accepted."))
        try:
            image.verify()
        except DECODE_ERRORS:
            raise ImageInvalid()
    return width * height


def _decode(data: bytes, fmt: str) -> Image.Image:
    """Decode once (JPEG at the draft scale that fits the cap); truncated data is 400."""
    image = _open(data, fmt)
    if fmt == JPEG:
        scale = draft_scale(max(image.size), settings.PHOTO_MAX_SIDE)
        if scale > 1:
            mode = image.mode if image.mode in ("RGB", "L") else None
            image.draft(mode, (image.width // scale, image.height // scale))
    try:
        image.load()
    except Image.DecompressionBombError:
        raise too_many_pixels()
    except DECODE_ERRORS:
        raise ImageInvalid()
    return image


def _exif_of(image: Image.Image) -> Image.Exif:
    """The EXIF block, or an empty one when it is too broken to parse."""
    try:
        return image.getexif()
    except DECODE_ERRORS:
        return Image.Exif()


def _upright(image: Image.Image) -> None:
    """Apply the EXIF orientation to the pixels; a broken orientation leaves them as
    they are rather than refusing the photo."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except DECODE_ERRORS:
        log.info("photo with an unreadable EXIF orientation kept as decoded")


def draft_scale(long_side: int, cap: int) -> int:
    """The smallest libjpeg scale-down that brings the long side within the cap."""
    return next((s for s in DRAFT_SCALES if math.ceil(long_side / s) <= cap), DRAFT_SCALES[-1])


def _to_output_mode(image: Image.Image) -> Image.Image:
    """RGB (or L) for the encoder: CMYK through its ICC profile when it has one, 16-bit
    grey scaled (not clipped) to 8 bits, transparency flattened onto white."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "1":
        return image.convert("L")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if profile:
        try:
            return ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            log.info("CMYK photo with an unusable ICC profile: converted without it")
    return image.convert("RGB")


def _fit(image: Image.Image, side: int) -> Image.Image:
    """The image with its long side at most `side` (the same object when it already is)."""
    if max(image.size) <= side:
        return image
    ratio = side / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _output_format() -> tuple[str, str]:
    return ("webp", "image/webp") if settings.PHOTO_FORMAT == "webp" else ("jpg", "image/jpeg")


def encode(image: Image.Image, icc: bytes | None, quality: int) -> bytes:
    """Pixels and the ICC profile only: a fresh `info`, so that nothing the decoder read
    (EXIF, XMP, comments, GPS) can travel along."""
    image.info = {}
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    if settings.PHOTO_FORMAT == "webp":
        image.save(out, "WEBP", quality=quality, method=0, **options)
    else:
        # Baseline, not progressive: progressive needs optimised Huffman tables, which
        # made encoding 6x slower; the thumbnail is what a weak link shows first.
        image.save(out, "JPEG", quality=quality, **options)
    return out.getvalue()


# --- EXIF --------------------------------------------------------------------------------


def read_exif(exif: Image.Exif) -> tuple[dt.datetime | None, tuple[float, float] | None]:
    """`DateTimeOriginal` (aware) and the GPS point converted to GCJ-02, each None when
    absent or malformed: a photo with odd EXIF is still a photo."""
    return _taken_at(exif), _gps_point(exif)


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    try:
        ifd = exif.get_ifd(EXIF_IFD)
        raw = str(ifd.get(DATETIME_ORIGINAL) or "").strip("\x00 ")
        taken = dt.datetime.strptime(raw, "%Y:%m:%d %H:%M:%S")
    except (ValueError, TypeError, KeyError, struct.error):
        return None
    taken = _with_offset(taken, str(ifd.get(OFFSET_TIME_ORIGINAL) or "").strip("\x00 "))
    return taken if taken <= timezone.now() + dt.timedelta(days=1) else None  # a wrong clock


def _with_offset(taken: dt.datetime, offset: str) -> dt.datetime:
    """Phones write the offset separately ("+08:00"); without one, local time is ours."""
    try:
        return taken.replace(tzinfo=dt.datetime.strptime(offset, "%z").tzinfo)
    except ValueError:
        return timezone.make_aware(taken)


def _gps_point(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat = _degrees(gps[GPS_LAT], gps.get(GPS_LAT_REF), b"S")
        lng = _degrees(gps[GPS_LNG], gps.get(GPS_LNG_REF), b"W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError, struct.error):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None  # (0, 0) is what a phone writes when it had no fix
    return geo.wgs84_to_gcj02(lat, lng)


def _degrees(dms, ref, negative: bytes) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    if any(math.isnan(part) for part in (degrees, minutes, seconds)):
        raise ValueError("NaN in GPS")
    value = degrees + minutes / 60 + seconds / 3600
    ref = ref.encode() if isinstance(ref, str) else (ref or b"")
    return -value if ref.strip(b"\x00 ").upper() == negative else value
