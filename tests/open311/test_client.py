"""An Open311 client from PyPI, unchanged, against a live server (issue 17).

`georeport` 0.3.1 (a GeoReport v2 wrapper on requests and xmltodict) is the one that
installs and runs on Python 3 today: `three` 0.8.0 imports `itertools.ifilter` (Python 2
only) and `open311` 1.1 is Python 2 as well. georeport reads (services, definitions,
requests, one request) in JSON and XML; it has no POST, so filing is done with plain
requests as the specification describes it."""

import pytest
import requests
from georeport import GeoReport

from gridapp import geo
from open311 import keys
from tests.gridapp.photos_support import HHL05_POINT

# a live server thread: real timers, and its own connection (committed data, flushed after)
pytestmark = [pytest.mark.real_clock, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hotline(world) -> str:
    return keys.create_key("12345-hotline")[1]


@pytest.fixture
def endpoint(live_server) -> str:
    return f"{live_server.url}/open311/v2"


def file_one(endpoint: str, key: str) -> str:
    lat, lng = geo.gcj02_to_wgs84(*HHL05_POINT)
    response = requests.post(f"{endpoint}/requests.xml", data={
        "api_key": key, "service_code": "streetlight", "lat": lat, "long": lng,
        "description": "路灯不亮", "phone": "13800138000"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.text.split("<service_request_id>")[1].split("<")[0]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_reads_services_definitions_and_requests(endpoint, hotline, output_format,
                                                           settings):
    settings.OPEN311_PUBLIC_READ = True  # georeport sends no api_key when reading
    client = GeoReport(endpoint, output_format=output_format)
    services = client.get_service_list()
    assert "streetlight" in [service["service_code"] for service in services]
    assert client.get_service_definition("streetlight")["service_code"] == "streetlight"

    number = file_one(endpoint, hotline)
    found = client.get_service_requests(service_request_id=number)
    found = found if isinstance(found, list) else [found]  # xmltodict: one item is a dict
    assert [r["service_request_id"] for r in found] == [number]
    one = client.get_service_request(number)
    assert (one["service_request_id"], one["status"], one["service_code"]) == (
        number, "open", "streetlight")
    assert "13800138000" not in str(one)


def test_georeport_sees_the_specs_errors(endpoint, world):
    client = GeoReport(endpoint)
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests()  # no key, public reading off
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()[0]["code"] == 403
    with pytest.raises(requests.HTTPError) as unknown:
        client.get_service_definition("nothing")
    assert unknown.value.response.status_code == 404
