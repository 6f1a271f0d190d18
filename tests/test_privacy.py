"""The privacy scan itself (tests/privacy.py): it sees a secret in a response and in a
log line, and lets masked data through. The scan of the whole suite is its autouse
fixture."""

import logging

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path

from accounts.models import User, mask_phone
from tests import privacy

PHONE = "13912345678"


def show_everything(request):
    user = User.objects.get(username="leaky")
    return JsonResponse({"openid": user.wechat_openid, "phone": user.phone})


def show_masked(request):
    return HttpResponse(f"电话 {mask_phone(PHONE)}", content_type="text/plain")


urlpatterns = [path("leak/", show_everything), path("masked/", show_masked)]


@pytest.fixture
def leaky(db) -> User:
    return User.objects.create(username="leaky", wechat_openid="o-leaky-1", phone=PHONE)


def caught() -> list[str]:
    leaks = list(privacy.found)
    privacy.found.clear()  # seen here on purpose: not a failure of this test
    return leaks


@override_settings(ROOT_URLCONF=__name__)
def test_an_openid_or_a_full_phone_in_a_response_is_caught(client, leaky):
    client.get("/leak/")
    assert caught() == ["GET /leak/ → 200 shows '13912345678'",
                        "GET /leak/ → 200 shows 'o-leaky-1'"]
    client.get("/masked/")
    assert caught() == []


def test_a_log_line_with_an_openid_or_a_session_key_is_caught(leaky):
    log = logging.getLogger("gridapp")
    log.warning("login of %s", "dev-openid-leader1")
    log.warning("code2session said %s", privacy.SESSION_KEY)
    log.warning("phone %s", PHONE)  # the formatter masks it: what a log shipper receives
    assert [leak.rsplit(" shows ", 1)[1] for leak in caught()] == [
        "'dev-openid-'", f"'{privacy.SESSION_KEY}'"]
