"""A stand-in for api.weixin.qq.com, for the end-to-end smoke test and the load benchmark.

It speaks the few endpoints our client uses, with WeChat's JSON shapes:
- GET  /sns/jscode2session: code `e2e-<name>` logs in as the demo user <name>
  (the openid the demo world gives them); any other code is errcode 40029.
- POST /cgi-bin/stable_token: a token valid for 7200 s.
- POST /wxa/business/getuserphonenumber: a phone derived from the code.
- POST /cgi-bin/message/subscribe/send: recorded, then errcode 0.
- POST /wxa/msg_sec_check: suggest "pass".
- GET  /_stub/messages: what was sent, for the test to assert on.

Usage: python scripts/wechat_stub.py PORT
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MESSAGES: list[dict] = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/sns/jscode2session":
            code = query.get("js_code", "")
            if code.startswith("e2e-"):
                # tests/privacy.py scans every response and log line for this key
                self._json({"openid": f"dev-openid-{code[4:]}",
                            "session_key": "session-key-never-leaves"})
            else:
                self._json({"errcode": 40029, "errmsg": "invalid code"})
        elif url.path == "/_stub/messages":
            with LOCK:
                self._json({"messages": list(MESSAGES)})
        else:
            self._json({"errcode": 404, "errmsg": "no such stub path"}, status=404)

    def do_POST(self) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if url.path == "/cgi-bin/stable_token":
            self._json({"access_token": "stub-token", "expires_in": 7200})
        elif url.path == "/wxa/business/getuserphonenumber":
            digits = sum(map(ord, body.get("code", ""))) % 10**8
            self._json({"errcode": 0, "phone_info": {"purePhoneNumber": f"137{digits:08d}",
                                                     "phoneNumber": f"137{digits:08d}",
                                                     "countryCode": "86"}})
        elif url.path == "/cgi-bin/message/subscribe/send":
            with LOCK:
                MESSAGES.append(body)
            self._json({"errcode": 0, "errmsg": "ok", "msgid": len(MESSAGES)})
        elif url.path == "/wxa/msg_sec_check":
            self._json({"errcode": 0, "result": {"suggest": "pass", "label": 100}})
        else:
            self._json({"errcode": 404, "errmsg": "no such stub path"}, status=404)

    def _json(self, data: dict, status: int = 200) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:  # keep the test output quiet
        pass


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
