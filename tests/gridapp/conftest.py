"""Fixtures of the gridapp tests: photo storage (local, or a real local S3 server) and
WeChat message templates."""

import socket
from collections.abc import Iterator

import boto3
import pytest

from .photos_support import BUCKET
from .workflow_support import TEMPLATE_IDS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, monkeypatch, moto_endpoint):
    """STORAGE_BACKEND=s3 as config/settings.py builds it, against the local server."""
    from config.settings import s3_storage_options

    for name, value in {"AWS_STORAGE_BUCKET_NAME": BUCKET, "AWS_S3_ENDPOINT_URL": moto_endpoint,
                        "AWS_S3_REGION_NAME": "us-east-1", "AWS_ACCESS_KEY_ID": "test-key",
                        "AWS_SECRET_ACCESS_KEY": "test-secret",
                        "AWS_S3_ADDRESSING_STYLE": "path", "AWS_QUERYSTRING_EXPIRE": "600"
                        }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                          aws_access_key_id="test-key", aws_secret_access_key="test-secret")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "config.storage.S3Storage", "OPTIONS": s3_storage_options()}}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


@pytest.fixture
def media(settings, tmp_path):
    """Local storage in a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def templates(settings) -> dict[str, str]:
    """Every kind of message has a template id (the embedded default has none)."""
    settings.WECHAT_TEMPLATES = {
        kind: {**settings.WECHAT_TEMPLATES[kind], "id": template}
        for kind, template in TEMPLATE_IDS.items()}
    return TEMPLATE_IDS
