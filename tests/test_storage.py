"""The photo store's signed URLs: reused for half their lifetime, never handed out older."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from freezegun import freeze_time

from config.storage import S3Storage

EXPIRE = 600


@pytest.fixture
def storage(monkeypatch) -> S3Storage:
    """As config/settings.py builds it for STORAGE_BACKEND=s3. Signing is local: no
    server is contacted."""
    from config.settings import s3_storage_options

    for name, value in {"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9",
                        "AWS_S3_REGION_NAME": "us-east-1", "AWS_ACCESS_KEY_ID": "key",
                        "AWS_SECRET_ACCESS_KEY": "secret", "AWS_S3_ADDRESSING_STYLE": "path",
                        "AWS_QUERYSTRING_EXPIRE": str(EXPIRE)}.items():
        monkeypatch.setenv(name, value)
    return S3Storage(**s3_storage_options())


def signed_at(url: str) -> str:
    return parse_qs(urlparse(url).query)["X-Amz-Date"][0]


def test_a_url_asked_for_again_within_half_its_lifetime_is_the_same_url(storage):
    with freeze_time("2026-11-26 10:00:00") as clock:
        first = storage.url("photos/a.jpg")
        clock.tick(timedelta(seconds=EXPIRE / 2 - 1))
        assert storage.url("photos/a.jpg") == first  # a new signature would carry a new date
    assert "X-Amz-Expires=600" in first and "X-Amz-Signature=" in first


def test_a_url_past_half_its_lifetime_is_signed_afresh(storage):
    with freeze_time("2026-11-26 10:00:00") as clock:
        first = storage.url("photos/a.jpg")
        clock.tick(timedelta(seconds=EXPIRE / 2))
        again = storage.url("photos/a.jpg")
    assert again != first
    assert (signed_at(first), signed_at(again)) == ("20261126T100000Z", "20261126T100500Z")


def test_each_photo_has_its_own_url(storage):
    assert urlparse(storage.url("photos/a.jpg")).path.endswith("/photos/photos/a.jpg")
    assert urlparse(storage.url("photos/b.jpg")).path.endswith("/photos/photos/b.jpg")


def test_a_url_with_its_own_expiry_or_parameters_is_never_taken_from_the_cache(storage):
    with freeze_time("2026-11-26 10:00:00") as clock:
        storage.url("photos/a.jpg")
        clock.tick(timedelta(seconds=1))
        custom = storage.url("photos/a.jpg", expire=60)
    assert "X-Amz-Expires=60&" in custom + "&" and signed_at(custom) == "20261126T100001Z"
