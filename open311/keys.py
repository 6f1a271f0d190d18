"""API keys of the integrations: made by an administrator, shown once, stored hashed,
revocable."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from gridapp.models import Region

from .models import ApiKey

PREFIX = "o311_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_key(name: str, *, region: Region | None = None) -> tuple[ApiKey, str]:
    """A new key and its own reporting user; the raw key is returned once, never stored."""
    raw = PREFIX + secrets.token_urlsafe(32)
    user = User(username=f"open311-{secrets.token_hex(6)}", display_name=name)
    user.set_unusable_password()
    user.save()
    key = ApiKey.objects.create(name=name, prefix=raw[len(PREFIX):][:8], key_hash=_hash(raw),
                                user=user, region=region)
    return key, raw


def authenticate(raw: str | None) -> ApiKey | None:
    """The live key for `raw`, or None (missing, unknown or revoked)."""
    if not raw or len(raw) > 200:
        return None
    return (ApiKey.objects.select_related("user", "region")
            .filter(key_hash=_hash(raw), revoked_at__isnull=True).first())


def revoke(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
