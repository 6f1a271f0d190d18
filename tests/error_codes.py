"""Every documented error code is answered by some test (issue 11): the `code` of every
JSON error served while the suite runs is recorded, and a whole run (`make test` sets
ERROR_CODES_COMPLETE=1) fails if a code the application can answer (the codes that
tests/test_docs.py finds in the code and in docs/api.md) was never seen: a code no test
provokes is a rule no test checks.
"""

import json
import os

from .privacy import watch_responses

seen: set[str] = set()


def record(request, response) -> None:
    if response.status_code >= 400 and not response.streaming and response.get(
            "Content-Type", "").startswith("application/json"):
        try:
            body = json.loads(response.content)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("code"), str):
            seen.add(body["code"])


def install() -> None:
    """From `pytest_configure`: for the whole session."""
    watch_responses(record)


def missing(documented: set[str]) -> list[str]:
    return sorted(documented - seen)


def check(session) -> None:
    """From `pytest_sessionfinish`: on a whole, green run, fail it if a code was never seen."""
    if os.environ.get("ERROR_CODES_COMPLETE") != "1" or session.exitstatus != 0:
        return
    from tests.test_docs import error_codes

    never = missing(error_codes())
    if never:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(f"error codes no test provokes ({len(never)}): {', '.join(never)}",
                            red=True)
        session.exitstatus = 1
