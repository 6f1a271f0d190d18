"""A local stand-in for api.weixin.qq.com: the real client talks HTTP to pytest-httpserver.

`wechat_stub` switches the settings to the `api` backend pointed at the stub server and
returns the server, on which each test registers the answers it needs (helpers in
`stub.py`). A request the test did not expect fails the test at teardown.
"""

import threading
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from accounts.wechat import reset_client

from .stub import APP_ID, APP_SECRET


@pytest.fixture
def wechat_stub(settings, httpserver: HTTPServer) -> Iterator[HTTPServer]:
    settings.WECHAT_BACKEND = "api"
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_APP_SECRET = APP_SECRET
    settings.WECHAT_API_BASE = httpserver.url_for("")
    settings.WECHAT_TIMEOUT = 2.0
    reset_client()
    yield httpserver
    httpserver.check_assertions()


@pytest.fixture
def hanging_handler() -> Iterator[Callable[[Request], Response]]:
    """A handler that answers only once the test is over, long after the client gave up:
    WeChat timing out, without a fixed sleep in the test."""
    released = threading.Event()

    def handler(request: Request) -> Response:
        released.wait(timeout=10)
        return Response('{"errcode": 0}', content_type="application/json")

    yield handler
    released.set()
