"""The direction of dependencies between the apps (docs/architecture.md):
accounts ← gridapp ← payroll, and config is the ground everyone stands on. A module may
import only from its own app, the apps below it and config. Migrations are history (an
early accounts migration named gridapp's tables before roles moved there) and are left out."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "accounts": {"accounts", "config"},
    "gridapp": {"gridapp", "accounts", "config"},
    "payroll": {"payroll", "gridapp", "accounts", "config"},
}
APPS = {"accounts", "gridapp", "payroll", "config"}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & APPS


def modules_of(app: str) -> list[Path]:
    return [p for p in sorted((ROOT / app).rglob("*.py")) if "migrations" not in p.parts]


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_an_app_imports_only_the_apps_below_it(app):
    wrong = {str(path.relative_to(ROOT)): sorted(imported_apps(path) - ALLOWED[app])
             for path in modules_of(app)}
    assert {path: apps for path, apps in wrong.items() if apps} == {}


def test_config_imports_no_app_except_to_compose_them():
    """The URL root and the demo world put the apps together; nothing else in config
    knows them."""
    composers = {"config/urls.py", "config/demo.py", "config/settings.py"}
    wrong = {str(path.relative_to(ROOT)): sorted(imported_apps(path) - {"config"})
             for path in modules_of("config") if str(path.relative_to(ROOT)) not in composers}
    assert {path: apps for path, apps in wrong.items() if apps} == {}


def test_the_checker_sees_a_wrong_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from payroll.models import Run\nimport gridapp.models\n")
    assert imported_apps(module) == {"payroll", "gridapp"}
