"""Every documented error code is answered by some test (issue 11): the `code` of every
JSON error served while the suite runs is recorded, and a whole run fails if a code the
application can answer (the codes that tests/test_docs.py finds in the code and in
docs/api.md) was never seen: a code no test provokes is a rule no test checks.

A whole run: `make test` (it sets ERROR_CODES_COMPLETE=1) with nothing skipped, which in
CI is the PostgreSQL pass; where the PostgreSQL-only tests skip, some codes cannot be
provoked (`idempotency_key_in_use` needs two sessions and a lock).
"""

import json
import os

from .privacy import watch_responses

seen: set[str] = set()
# Codes that are not a JSON answer of the API, each with the test that covers it.
NOT_API_ANSWERS = {
    "conflict": "the default of the 409 base class: every raise names its own code",
    "service_unavailable": "the default of the 503 base class: every raise names its own",
    "not_staff": "a console sign-in form error (tests/console/test_console.py)",
    "policy_retroactive": "policies are made in the admin "
                          "(tests/payroll/test_admin.py, tests/payroll/test_generation.py)",
    "term_overlaps": "terms change in the admin (tests/gridapp/test_history.py)",
}


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
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if (os.environ.get("ERROR_CODES_COMPLETE") != "1" or session.exitstatus != 0
            or reporter.stats.get("skipped")):
        return
    from tests.test_docs import error_codes

    never = missing(error_codes() - set(NOT_API_ANSWERS))
    if never:
        reporter.write_line(f"error codes no test provokes ({len(never)}): {', '.join(never)}",
                            red=True)
        session.exitstatus = 1
