"""docs/api.md and docs/demo.md are what a client developer builds against alone: they
must name every path the URL configuration serves, every error code the code can answer,
and every user the demo world creates."""

import ast
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
API_MD = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
DEMO_MD = (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")
APPS = ("accounts", "gridapp", "payroll", "console", "open311", "config")
NOT_API = ("admin/", "^media/", "^static/")


def served_paths(resolver: URLResolver = None, prefix: str = "") -> list[str]:
    """Every route as the docs write it: `/api/v1/reports/{id}/accept/`."""
    paths = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(NOT_API):
            continue
        if isinstance(entry, URLResolver):
            paths += served_paths(entry, route)
        elif isinstance(entry, URLPattern):
            route = route.replace("<fmt:fmt>", "{format}")  # Open311's .json / .xml
            paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", "{id}", route))
    return paths


def documented(path: str) -> bool:
    """Written out in full, or as the docs' shorthand for sibling actions on one line:
    "`/api/v1/reports/{id}/accept/` · `/dispatch/`"."""
    if f"`{path}" in API_MD or f"{path}?" in API_MD:
        return True
    base, last = re.match(r"(.*/)([^/]+/?)$", path).groups()
    return any(f"`{base}" in line and f"`/{last}`" in line for line in API_MD.splitlines())


def test_every_served_path_is_in_the_api_docs():
    paths = served_paths()
    assert len(paths) > 50
    assert [p for p in paths if not documented(p)] == []


NOT_ERRORS = {"Template"}  # bank file templates have a `code` too


def _name(func: ast.expr) -> str | None:
    return getattr(func, "id", None) or getattr(func, "attr", None)


def error_codes() -> set[str]:
    """`default_code = "..."` and `code="..."` in a call anywhere in the apps' code."""
    codes = set()
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign) and any(
                        getattr(t, "id", None) == "default_code" for t in node.targets):
                    codes.add(node.value.value)
                elif isinstance(node, ast.Call) and _name(node.func) not in NOT_ERRORS:
                    codes.update(k.value.value for k in node.keywords if k.arg == "code"
                                 and isinstance(k.value, ast.Constant)
                                 and isinstance(k.value.value, str))
    return codes


def test_every_error_code_is_in_the_api_docs():
    codes = error_codes()
    assert {"invalid_transition", "maker_checker", "period_in_future"} <= codes
    assert sorted(c for c in codes if f"`{c}`" not in API_MD) == []


@pytest.mark.django_db
def test_every_demo_user_is_in_the_demo_docs(world):
    usernames = set(User.objects.values_list("username", flat=True))
    assert len(usernames) > 20
    assert sorted(u for u in usernames if f"`{u}`" not in DEMO_MD) == []


def test_the_readme_points_to_the_docs_that_are_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in re.findall(r"docs/[\w-]+\.md", readme):
        assert (ROOT / name).exists(), name
    assert "docs/api.md" in readme and "docs/demo.md" in readme
