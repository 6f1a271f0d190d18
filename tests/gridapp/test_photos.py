"""POST /api/v1/photos/: the upload pipeline of the reports issue, through the API."""

import datetime as dt
import hashlib
import io
from datetime import timedelta

import pytest
import requests
from freezegun import freeze_time
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageCms

from config.storage import PUT_AT_MOST
from gridapp import images
from gridapp.models import Photo
from gridapp.services.photos import delete_orphan_photos

from .photos_support import (BUCKET, HHL05_POINT, animated_gif, animated_webp, camera_exif,
                             image_bytes, image_file, jpeg_bytes, png_16bit, png_declaring,
                             upload, uploaded_photo_id)


pytestmark = pytest.mark.usefixtures("media")


def stored(name: str) -> Image.Image:
    with default_storage.open(name) as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
        return image


def files_in(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- what a good upload gives ---------------------------------------------------------------


def test_a_phone_photo_gives_urls_size_capture_time_and_gcj02_gps(api, user):
    content = jpeg_bytes((64, 48), exif=camera_exif())
    response = upload(api("resident1"), content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "url", "thumbnail_url", "width", "height", "taken_at", "gps"}
    assert (body["width"], body["height"]) == (64, 48)
    assert body["taken_at"] == "2026-11-26T09:30:00+08:00"
    assert body["gps"]["lat"] == pytest.approx(HHL05_POINT[0], abs=1e-6)
    assert body["gps"]["lng"] == pytest.approx(HHL05_POINT[1], abs=1e-6)
    assert body["url"].startswith("http://testserver/media/photos/")
    photo = Photo.objects.get(pk=body["id"])
    assert photo.owner == user("resident1") and photo.report is None
    assert photo.sha256 == hashlib.sha256(content).hexdigest()


def test_capture_time_without_offset_is_read_as_china_time(api):
    content = jpeg_bytes(exif=camera_exif(offset=None, gcj02=None))
    body = upload(api("resident1"), content).json()
    assert body["taken_at"] == "2026-11-26T09:30:00+08:00"
    assert body["gps"] is None


def test_the_stored_image_keeps_no_exif_xmp_gps_or_comment_but_keeps_its_icc_profile(api):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><gps>21.48,109.11</gps></x:xmpmeta>'
    content = jpeg_bytes((80, 60), exif=camera_exif(), icc_profile=icc, xmp=xmp,
                         comment=b"shot at home")
    photo = Photo.objects.get(pk=uploaded_photo_id(api("resident1"), content))
    for name in (photo.image.name, photo.thumbnail.name):
        image = stored(name)
        assert image.info.get("icc_profile") == icc
        assert not image.getexif() and "exif" not in image.info
        assert "xmp" not in image.info and "comment" not in image.info
        with default_storage.open(name) as f:
            raw = f.read()
        assert b"Exif" not in raw and b"xmpmeta" not in raw and b"shot at home" not in raw


def test_the_exif_orientation_is_applied_to_the_pixels(api):
    content = jpeg_bytes((60, 40), exif=camera_exif(orientation=6))
    body = upload(api("resident1"), content).json()
    assert (body["width"], body["height"]) == (40, 60)
    assert stored(Photo.objects.get(pk=body["id"]).image.name).size == (40, 60)


def test_a_real_rotated_camera_file_is_turned_upright(api):
    body = upload(api("resident1"), image_file("hopper_orientation_6.jpg")).json()
    assert (body["width"], body["height"]) == (128, 128)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_the_long_side_is_capped_and_the_thumbnail_is_small(api, settings, fmt):
    settings.PHOTO_MAX_SIDE, settings.PHOTO_THUMBNAIL_SIDE = 100, 32
    body = upload(api("resident1"), image_bytes(fmt, (400, 300)), name="big.img").json()
    assert max(body["width"], body["height"]) <= 100
    assert max(body["width"], body["height"]) > 50  # halved at most once too often
    photo = Photo.objects.get(pk=body["id"])
    assert stored(photo.thumbnail.name).size == (32, 24)
    assert stored(photo.image.name).size == (body["width"], body["height"])


def test_jpeg_is_shrunk_in_draft_mode_by_the_smallest_power_of_two_that_fits():
    assert images.draft_scale(4000, 2560) == 2
    assert images.draft_scale(2560, 2560) == 1
    assert images.draft_scale(6000, 2560) == 4
    assert images.draft_scale(40000, 2560) == 8  # then resampled the rest of the way


@pytest.mark.parametrize("name, fmt", [("flower.webp", "WEBP"), ("hopper.heif", "HEIF"),
                                       ("hopper.jpg", "JPEG")])
def test_webp_heic_and_jpeg_files_are_accepted_and_stored_as_jpeg(api, name, fmt):
    body = upload(api("resident1"), image_file(name), name=name).json()
    photo = Photo.objects.get(pk=body["id"])
    assert photo.original_format == fmt and photo.content_type == "image/jpeg"
    assert stored(photo.image.name).format == "JPEG"


def test_png_is_accepted(api):
    response = upload(api("resident1"), image_bytes("PNG", mode="RGBA", color=(0, 0, 255, 128)),
                      name="a.png", content_type="image/png")
    assert response.status_code == 201
    assert stored(Photo.objects.get().image.name).mode == "RGB"


def test_webp_output_when_configured(api, settings):
    settings.PHOTO_FORMAT = "webp"
    photo = Photo.objects.get(pk=uploaded_photo_id(api("resident1"), jpeg_bytes()))
    assert photo.content_type == "image/webp" and photo.image.name.endswith(".webp")
    assert stored(photo.image.name).format == "WEBP"


def test_heic_without_pillow_heif_is_a_clean_415(api, monkeypatch):
    monkeypatch.setattr(images, "HEIF_AVAILABLE", False)
    response = upload(api("resident1"), image_file("hopper.heif"), name="a.heic")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media"


def test_a_cmyk_jpeg_is_accepted_and_converted_to_rgb(api):
    body = upload(api("resident1"), image_file("pil_sample_cmyk.jpg")).json()
    image = stored(Photo.objects.get(pk=body["id"]).image.name)
    assert image.mode == "RGB" and image.info.get("icc_profile") is None


def test_a_16_bit_png_is_accepted_and_scaled_to_8_bits_not_clipped(api):
    response = upload(api("resident1"), png_16bit(), name="scan.png", content_type="image/png")
    assert response.status_code == 201, response.content
    low, high = stored(Photo.objects.get().image.name).getextrema()
    assert low < 20 and 200 < high < 256  # a gradient, not a white sheet


def test_the_phones_own_position_is_kept_with_the_photo(api):
    photo_id = uploaded_photo_id(api("resident1"), jpeg_bytes(), lat="21.4831", lng="109.1131")
    photo = Photo.objects.get(pk=photo_id)
    assert (photo.client_lat, photo.client_lng) == (21.4831, 109.1131)


def test_malformed_exif_is_ignored_not_fatal(api):
    body = upload(api("resident1"), image_file("exif_gps.jpg")).json()
    assert body["gps"] is None and body["taken_at"] is None  # 2099: a wrong clock
    body = upload(api("resident1"), image_file("empty_gps_ifd.jpg")).json()
    assert body["gps"] is None and body["taken_at"] == "2020-07-27T14:46:48+08:00"


def test_a_retried_upload_with_the_same_key_creates_one_photo(api):
    client = api("resident1")
    first = upload(client, jpeg_bytes(), key="upload-1")
    again = upload(client, jpeg_bytes(), key="upload-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Photo.objects.count() == 1


def test_anonymous_uploads_are_refused(api):
    assert upload(api(), jpeg_bytes()).status_code == 401


# --- bad input: a clear 4xx and nothing stored ---------------------------------------------


BAD_FILES = {
    "a text file named .jpg": (b"just some text, not an image\n", 415, "unsupported_media"),
    "an HTML file with a JPEG magic prefix": (
        b"\xff\xd8\xff\xe0<html><body>hello</body></html>" * 4, 400, "image_invalid"),
    "a truncated JPEG": (image_file("truncated_jpeg.jpg"), 400, "image_invalid"),
    "a JPEG cut in half": (jpeg_bytes((200, 200), color="green")[:300], 400, "image_invalid"),
    "a zero-byte file": (b"", 400, "image_invalid"),
    "a PNG declaring 50,000 x 50,000 pixels": (png_declaring(50_000, 50_000), 413,
                                               "file_too_large"),
    "a PNG declaring 8,000 x 6,000 pixels": (png_declaring(8_000, 6_000), 413, "file_too_large"),
    "an SVG": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', 415,
               "unsupported_media"),
    "an animated GIF": (animated_gif(), 415, "unsupported_media"),
    "an animated WebP": (animated_webp(), 415, "unsupported_media"),
    "a GIF decompression bomb": (image_file("decompression_bomb.gif"), 415, "unsupported_media"),
}


@pytest.mark.parametrize("content, status, code", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_are_refused_and_nothing_is_stored(api, media, content, status, code):
    response = upload(api("resident1"), content, name="photo.jpg")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert Photo.objects.count() == 0 and files_in(media) == []


def test_a_file_over_the_size_limit_is_413_and_nothing_is_stored(api, media, settings,
                                                               monkeypatch):
    settings.PHOTO_MAX_BYTES = 100_000
    content = jpeg_bytes((64, 48)) + b"\x00" * 150_000  # declared length within the slack

    def never(upload):
        pytest.fail("the pipeline read a file the upload handler should have stopped")
    monkeypatch.setattr(images, "read_upload", never)
    response = upload(api("resident1"), content)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert Photo.objects.count() == 0 and files_in(media) == []


def test_a_body_declaring_more_than_the_limit_is_refused_before_it_is_read(settings):
    settings.PHOTO_MAX_BYTES = 1000
    handler = images.SizeLimitUploadHandler()
    with pytest.raises(images.FileTooLarge):
        handler.handle_raw_input(io.BytesIO(), {}, 1000 + handler.ENVELOPE_BYTES + 1, b"--b")


def test_the_upload_handler_stops_as_soon_as_the_stream_passes_the_limit(settings):
    settings.PHOTO_MAX_BYTES = 1000
    handler = images.SizeLimitUploadHandler()
    assert handler.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(images.FileTooLarge):
        handler.receive_data_chunk(b"x" * 600, 600)


def test_a_multipart_body_without_file_is_400(api):
    response = api("resident1").post("/api/v1/photos/", {"lat": "21.48"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["fields"]
    assert Photo.objects.count() == 0


def test_two_files_at_once_are_400(api):
    data = {"file": [SimpleUploadedFile("a.jpg", jpeg_bytes()),
                     SimpleUploadedFile("b.jpg", jpeg_bytes())]}
    response = api("resident1").post("/api/v1/photos/", data, format="multipart")
    assert response.status_code == 400
    assert Photo.objects.count() == 0


@pytest.mark.parametrize("fields, bad", [({"lat": "91", "lng": "109.1"}, "lat"),
                                         ({"lat": "21.48", "lng": "abc"}, "lng"),
                                         ({"lat": "21.48"}, "lat")])
def test_a_bad_point_is_400(api, fields, bad):
    response = upload(api("resident1"), jpeg_bytes(), **fields)
    assert response.status_code == 400
    assert bad in response.json()["fields"]
    assert Photo.objects.count() == 0


def test_a_json_body_is_415(api):
    response = api("resident1").post("/api/v1/photos/", {"file": "abc"}, format="json")
    assert response.status_code == 415


def test_files_are_removed_again_when_the_row_cannot_be_written(api, media, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")
    monkeypatch.setattr(Photo, "save", broken_save)
    with pytest.raises(RuntimeError):
        upload(api("resident1"), jpeg_bytes())
    assert files_in(media) == []


# --- orphans ---------------------------------------------------------------------------


def test_photos_unattached_for_24_hours_are_deleted_with_their_files(api, media):
    client = api("resident1")
    old, recent = uploaded_photo_id(client), uploaded_photo_id(client)
    Photo.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(hours=25))
    names = [Photo.objects.get(pk=old).image.name, Photo.objects.get(pk=old).thumbnail.name]
    assert delete_orphan_photos() == 1
    assert list(Photo.objects.values_list("pk", flat=True)) == [recent]
    assert not any(default_storage.exists(n) for n in names)
    assert len(files_in(media)) == 2  # the recent photo and its thumbnail
    assert delete_orphan_photos() == 0  # running it again changes nothing


def test_the_orphan_sweep_runs_as_a_celery_task(api):
    photo_id = uploaded_photo_id(api("resident1"))
    Photo.objects.filter(pk=photo_id).update(created_at=timezone.now() - dt.timedelta(days=2))
    from gridapp.tasks import delete_orphan_photos as task
    assert task.delay().get() == 1


# --- the S3 path, against a real local S3 server -------------------------------------------


def test_photos_go_to_s3_and_are_served_by_signed_expiring_urls(api, s3_storage):
    content = jpeg_bytes((64, 48), exif=camera_exif())
    body = upload(api("resident1"), content).json()
    photo = Photo.objects.get(pk=body["id"])
    keys = {o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {photo.image.name, photo.thumbnail.name}
    for url in (body["url"], body["thumbnail_url"]):
        assert "X-Amz-Signature=" in url and "X-Amz-Expires=600" in url
        fetched = requests.get(url, timeout=10)
        assert fetched.status_code == 200
        assert Image.open(io.BytesIO(fetched.content)).format == "JPEG"
        assert b"Exif" not in fetched.content
    unsigned = body["url"].split("?")[0]
    assert requests.get(unsigned, timeout=10).status_code == 403
    acl = s3_storage.get_object_acl(Bucket=BUCKET, Key=photo.image.name)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]  # private: owner only


def test_a_photo_is_one_put_and_a_file_past_the_threshold_a_multipart_upload(s3_storage):
    # config.storage writes small files by one PutObject, larger ones through boto3's
    # transfer manager: both with the content type and the private ACL.
    store = default_storage
    small = store.save("photos/small.jpg", ContentFile(jpeg_bytes((64, 48))))
    large = store.save("photos/large.bin", ContentFile(b"\x00" * PUT_AT_MOST))
    heads = {name: s3_storage.head_object(Bucket=BUCKET, Key=name) for name in (small, large)}
    assert heads[small]["ContentType"] == "image/jpeg" and "-" not in heads[small]["ETag"]
    assert heads[large]["ContentLength"] == PUT_AT_MOST
    assert "-" in heads[large]["ETag"]  # "<md5 of the parts' md5s>-<parts>": multipart
    with store.open(small) as stored:
        assert Image.open(stored).size == (64, 48)
    for name in (small, large):
        grants = s3_storage.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_orphans_are_deleted_from_s3_too(api, s3_storage):
    photo_id = uploaded_photo_id(api("resident1"))
    Photo.objects.filter(pk=photo_id).update(created_at=timezone.now() - timedelta(hours=30))
    assert delete_orphan_photos() == 1
    assert s3_storage.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


@pytest.mark.parametrize("env, message", [
    ({}, "AWS_STORAGE_BUCKET_NAME"),
    ({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_ADDRESSING_STYLE": "sideways"}, "ADDRESSING"),
    ({"AWS_STORAGE_BUCKET_NAME": "b", "AWS_S3_SIGNATURE_VERSION": "v9"}, "SIGNATURE"),
])
def test_a_malformed_s3_configuration_stops_start_up(monkeypatch, env, message):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import s3_storage_options
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        s3_storage_options()


def test_the_s3_client_sends_checksums_only_where_required(monkeypatch):
    from config.settings import s3_storage_options
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "b")
    options = s3_storage_options()
    config = options["client_config"]
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert options["default_acl"] == "private" and options["custom_domain"] is None
    assert options["querystring_auth"] is True


def test_photo_uploads_are_throttled_per_user(api, monkeypatch):
    from config.api.throttling import CreateThrottle
    monkeypatch.setattr(CreateThrottle, "THROTTLE_RATES", {"report": "9/min", "upload": "2/min"})
    client = api("resident1")
    statuses = [upload(client, jpeg_bytes()).status_code for _i in range(3)]
    assert statuses == [201, 201, 429]
    assert upload(api("resident2"), jpeg_bytes()).status_code == 201  # per user
    assert Photo.objects.filter(owner__username="resident1").count() == 2


# --- who may upload, and how much ----------------------------------------------------------


def test_someone_with_no_role_cannot_upload_and_nothing_is_decoded(api, monkeypatch):
    monkeypatch.setattr(images, "_decode", lambda *a: pytest.fail("decoded for a stranger"))
    response = upload(api("newcomer"), jpeg_bytes())
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_member"
    assert not Photo.objects.exists()


@pytest.mark.parametrize("username", ["leader1", "handler-lighting", "dispatcher-city"])
def test_leaders_handlers_and_dispatchers_upload(api, username):
    assert upload(api(username), jpeg_bytes()).status_code == 201


def test_a_users_image_pixels_per_hour_are_bounded(api, settings):
    settings.PHOTO_PIXELS_PER_HOUR = 2 * 64 * 48  # two small photos
    with freeze_time("2026-11-26 10:50:00+08:00") as clock:
        client = api("resident1")
        assert [upload(client, jpeg_bytes()).status_code for _ in range(3)] == [201, 201, 429]
        assert upload(client, jpeg_bytes()).json()["code"] == "upload_budget_exceeded"
        assert upload(api("resident2"), jpeg_bytes()).status_code == 201  # per user
        clock.move_to("2026-11-26 11:01:00+08:00")  # (the access token lives 30 minutes)
        assert upload(client, jpeg_bytes()).status_code == 201  # a new hour
