"""The API's orjson renderer writes the text DRF's `JSONRenderer` writes (config/api/
renderers.py), so that clients, stored idempotent replays and the schema's examples see
no difference."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from config.api.renderers import FastJSONRenderer

BEIJING = dt.timezone(dt.timedelta(hours=8))
PAYLOADS = [
    {"results": [], "next": None, "count": 0},
    {"at": dt.datetime(2026, 11, 26, 9, 30, 1, 123456, tzinfo=dt.UTC),
     "local": dt.datetime(2026, 11, 26, 9, 30, tzinfo=BEIJING),
     "naive": dt.datetime(2026, 11, 26, 9, 30), "day": dt.date(2026, 11, 26),
     "time": dt.time(9, 30), "span": dt.timedelta(hours=1, seconds=3)},
    {"amount": Decimal("300.00"), "rate": Decimal("0.6667"), "lat": 21.4829, "lng": 109.1131,
     "big": 12345678901234567890, "flag": True, "third": 1 / 3},
    {"detail": gettext_lazy("Not found."), "名称": "黄海路社区 — “路灯”",
     "line": "a\u2028b\u2029c",
     "quote": 'say "hi"\n\t\\', "emoji": "🙂", "key": uuid.UUID(int=7)},
    {1: "an int key", "nested": {"set": {3}, "tuple": (1, 2), "deep": [[{"x": None}]]}},
    ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_text_is_drfs(payload):
    assert FastJSONRenderer().render(payload) == JSONRenderer().render(payload)


def test_a_float_far_from_one_is_the_same_number():
    payload = {"tiny": 1e-05, "huge": 1e16, "sum": 0.1 + 0.2}
    assert json.loads(FastJSONRenderer().render(payload)) == payload


def test_what_orjson_cannot_write_is_drfs():
    payload = {"id": 2**70}
    assert FastJSONRenderer().render(payload) == JSONRenderer().render(payload)


def test_indented_answers_are_left_to_drf():
    context = {"indent": 2}
    payload = {"a": [1, {"b": "c"}]}
    assert FastJSONRenderer().render(payload, "application/json", context) == \
        JSONRenderer().render(payload, "application/json", context)


def test_nothing_renders_as_nothing():
    assert FastJSONRenderer().render(None) == b""
