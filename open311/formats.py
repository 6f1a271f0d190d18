"""GeoReport v2 on the wire: JSON (lists are top-level arrays) and schemaless XML, UTF-8
with a declaration, each list in its plural element with one element per item."""

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# a list element → the element of each of its items
ITEMS = {"services": "service", "service_requests": "request", "errors": "error",
         "attributes": "attribute", "values": "value", "endpoints": "endpoint",
         "formats": "format", "service_request_updates": "request_update"}


def _element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEMS.get(tag, "item"), item) for item in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """`data` as JSON, or as XML under `root` (a list under its plural element)."""
    if fmt == "xml":
        body = ('<?xml version="1.0" encoding="utf-8"?>\n'
                + ET.tostring(_element(root, data), encoding="unicode"))
    else:
        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body.encode(), status=status, content_type=FORMATS[fmt])


def errors(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error answer: a list of `{code, description}`."""
    return render(fmt, "errors", [{"code": status, "description": description}], status)
