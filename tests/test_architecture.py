"""The direction of dependencies between the apps (docs/architecture.md):
accounts ← gridapp ← payroll ← console, gridapp ← open311, and config is the ground
everyone stands on. A module may import only from its own app, the apps below it and
config. Migrations are history (an early accounts migration named gridapp's tables before
roles moved there) and are left out."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "accounts": {"accounts", "config"},
    "gridapp": {"gridapp", "accounts", "config"},
    "payroll": {"payroll", "gridapp", "accounts", "config"},
    "console": {"console", "payroll", "gridapp", "accounts", "config"},
    "open311": {"open311", "gridapp", "accounts", "config"},
}
APPS = {"accounts", "gridapp", "payroll", "console", "open311", "config"}


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


# Each history is written in one place, so no change of state can skip its row: the
# services that own the model, and nothing else (admin, views, tasks and commands call them).
HISTORY_WRITERS = {
    "ReportEvent": {"gridapp/services/timeline.py"},
    "GridEvent": {"gridapp/services/memberships.py", "gridapp/services/leaders.py"},
    "RunEvent": {"payroll/services.py"},
    "DistributionEvent": {"payroll/yearend/services.py"},
}


def writes_history(path: Path, model: str) -> bool:
    """`Model.objects.create(...)`, `.bulk_create(...)` or `Model(...)` in the module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == model:
            return True
        if isinstance(func, ast.Attribute) and func.attr in {"create", "bulk_create"} \
                and isinstance(func.value, ast.Attribute) and func.value.attr == "objects" \
                and isinstance(func.value.value, ast.Name) and func.value.value.id == model:
            return True
    return False


@pytest.mark.parametrize("model", sorted(HISTORY_WRITERS))
def test_each_history_is_written_only_by_its_services(model):
    writers = {str(path.relative_to(ROOT)) for app in ALLOWED for path in modules_of(app)
               if writes_history(path, model)}
    assert writers == HISTORY_WRITERS[model]


def test_the_history_checker_sees_each_way_of_writing(tmp_path):
    module = tmp_path / "m.py"
    for line in ("GridEvent.objects.create(grid=g)", "GridEvent.objects.bulk_create([])",
                 "GridEvent(grid=g).save()"):
        module.write_text(line + "\n")
        assert writes_history(module, "GridEvent")
    module.write_text("GridEvent.objects.filter(grid=g)\n")
    assert not writes_history(module, "GridEvent")
