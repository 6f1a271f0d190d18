"""Hostile files (issue 11): each is refused with a clear, documented 4xx and leaves no row
and no file behind, or is accepted safely: re-encoded from its pixels, so that nothing the
sender appended, embedded or declared survives into what we serve. Together with the
kinds in test_photos.py (text, HTML, truncated, half, zero bytes, pixel bombs, SVG,
animated GIF and WebP, GIF bomb, CMYK, 16-bit, HEIC) this is more than 15 kinds."""

import io
import struct
import zipfile

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from gridapp.models import Photo

from .photos_support import image_file, jpeg_bytes, png_declaring, upload


def files_in(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


def exif_bomb() -> bytes:
    """A JPEG whose EXIF block holds an IFD claiming 65,535 entries, each pointing far past
    the end: a parser that trusts counts and offsets allocates or loops without end."""
    ifd = struct.pack("<H", 0xFFFF) + struct.pack("<HHII", 0x010E, 2, 0x7FFFFFFF, 0x7FFFFFF0) * 200
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd
    app1 = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    plain = jpeg_bytes((64, 48))
    return plain[:2] + segment + plain[2:]


def jpeg_with_comment(comment: bytes) -> bytes:
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    plain = jpeg_bytes((64, 48))
    return plain[:2] + segment + plain[2:]


def png_16bit_declaring_bomb() -> bytes:
    return png_declaring(40_000, 40_000)


REFUSED = {
    "a PDF": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", 415, "unsupported_media"),
    "a ZIP": (zip_bytes(), 415, "unsupported_media"),
    "an ELF executable": (b"\x7fELF\x02\x01\x01" + b"\x00" * 120, 415, "unsupported_media"),
    "a JPEG header and nothing else": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", 400,
                                       "image_invalid"),
    "a 1.6-gigapixel PNG declaration": (png_16bit_declaring_bomb(), 413, "file_too_large"),
    "a PNG with a broken CRC": (png_declaring(10, 10)[:-8] + b"\x00" * 8, 400, "image_invalid"),
}

ACCEPTED = {
    "a JPEG with trailing garbage": jpeg_bytes((64, 48)) + b"\x00GARBAGE" * 512,
    "a JPEG/ZIP polyglot": jpeg_bytes((64, 48)) + zip_bytes(),
    "a JPEG with an HTML comment": jpeg_with_comment(b"<script>alert(1)</script>"),
    "an EXIF bomb": exif_bomb(),
    "a JPEG with 16-bit quantization tables": image_file("hopper_16bit_qtables.jpg"),
    "a JPEG with a large ICC profile": image_file("icc_profile_big.jpg"),
    "a real rotated camera file": image_file("hopper_orientation_3.jpg"),
}


@pytest.mark.parametrize("content, status, code", REFUSED.values(), ids=REFUSED.keys())
def test_a_hostile_file_is_refused_clearly_and_nothing_is_stored(api, media, content, status,
                                                                  code):
    response = upload(api("leader1"), content, name="photo.jpg")
    assert (response.status_code, response.json()["code"]) == (status, code), response.content
    assert Photo.objects.count() == 0 and files_in(media) == []


@pytest.mark.parametrize("content", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_hostile_but_decodable_file_is_stored_re_encoded_without_its_payload(api, media,
                                                                               content):
    response = upload(api("leader1"), content, name="photo.jpg")
    assert response.status_code == 201, response.content
    photo = Photo.objects.get()
    with default_storage.open(photo.image.name) as stored:
        data = stored.read()
    assert data != content  # re-encoded, never the upload itself
    for payload in (b"GARBAGE", b"PK\x03\x04", b"<script>", b"evil.html"):
        assert payload not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format in {"JPEG", "WEBP"} and image.width * image.height > 0
    assert len(files_in(media)) == 2  # the image and its thumbnail, nothing else
