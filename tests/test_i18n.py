"""zh-hans is shipped (STYLE.md rule 12): every message of the code is in the catalogue,
translated, not fuzzy, and compiled; API errors speak Chinese by default and English on
request (API.md "Conventions"); the admin is in Chinese and an administrator can set up
regions and grids with it, a malformed boundary being a form error, not a 500."""

import ast
import datetime as dt
import gettext
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework.exceptions import NotAuthenticated

from accounts.models import User
from gridapp import geo
from gridapp.models import Grid, Region
from payroll import services

MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
# What `makemessages` leaves out (README's command): the tests, the benchmarks, the
# virtualenv and local services; dot-directories it skips by itself.
NOT_SCANNED = {"tests", "benchmarks", ".venv", ".services"}
GETTEXT_CALLS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
                 "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfir]|%[sdfir]|\{\w*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- the catalogue ----------------------------------------------------------------------

@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (polib is not a dependency). An entry ends where the
    next one's comments or msgctxt/msgid begin; obsolete `#~` entries are skipped."""
    entries, entry, key = [], Entry(), None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#~"):
            continue
        starts_entry = line.startswith("#") or line.startswith(("msgctxt ", "msgid "))
        if starts_entry and entry.msgstr:
            entries.append(entry)
            entry, key = Entry(), None
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith('"'):
            _append(entry, key, ast.literal_eval(line))
        elif not line.startswith("#"):
            key, literal = line.split(" ", 1)
            _append(entry, key, ast.literal_eval(literal), start=True)
    return [*entries, entry] if entry.msgstr else entries


def _append(entry: Entry, key: str, text: str, start: bool = False) -> None:
    if key.startswith("msgstr"):
        if start:
            entry.msgstr.append("")
        entry.msgstr[-1] += text
    else:  # msgid, msgid_plural, msgctxt
        setattr(entry, key, ("" if start else getattr(entry, key)) + text)


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return read_po(MESSAGES / "django.po")


def messages_in_the_code() -> set[tuple[str | None, str]]:
    """(context, msgid) of every gettext call with literal arguments in the scanned code."""
    found = set()
    for path in source_files(Path(settings.BASE_DIR)):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if message := _literal_message(node):
                found.add(message)
    return found


def source_files(root: Path) -> list[Path]:
    tops = [top for top in root.iterdir()
            if top.name not in NOT_SCANNED and not top.name.startswith(".")]
    files = [top for top in tops if top.suffix == ".py"]
    files += [path for top in tops if top.is_dir() for path in top.rglob("*.py")
              if not any(part.startswith(".") for part in path.relative_to(root).parts)]
    return files


def _literal_message(node: ast.AST) -> tuple[str | None, str] | None:
    if not isinstance(node, ast.Call):
        return None
    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    if name not in GETTEXT_CALLS:
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in node.args]
    with_context = name.startswith(("pgettext", "npgettext"))
    context, msgid = (args[0], args[1]) if with_context else (None, args[0] if args else None)
    return (context, msgid) if msgid else None


def test_every_message_of_the_code_is_in_the_catalogue(catalogue):
    """Fails when someone adds a string after the last `makemessages`: the README's
    translation pass brings it in."""
    known = {(e.msgctxt, e.msgid) for e in catalogue}
    assert sorted(messages_in_the_code() - known, key=str) == []


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [e.msgid for e in catalogue if e.msgid and not all(e.msgstr)]
    fuzzy = [e.msgid or "(header)" for e in catalogue if "fuzzy" in e.flags]
    assert (untranslated, fuzzy) == ([], [])


def test_translations_keep_every_placeholder(catalogue):
    changed = [e.msgid for e in catalogue for text in e.msgstr
               if sorted(PLACEHOLDER.findall(e.msgid)) != sorted(PLACEHOLDER.findall(text))]
    assert changed == []


def test_the_compiled_catalogue_is_in_step_with_the_po(catalogue):
    """The .mo is shipped (no gettext tools needed to run): it must say what the .po says."""
    with open(MESSAGES / "django.mo", "rb") as mo_file:
        mo = gettext.GNUTranslations(mo_file)
    stale = [e.msgid for e in catalogue if e.msgid and compiled(mo, e) != e.msgstr[0]]
    assert stale == []


def compiled(mo: gettext.GNUTranslations, entry: Entry) -> str:
    if entry.msgid_plural is not None:  # zh has one plural form: msgstr[0] for every n
        return (mo.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if entry.msgctxt is not None else mo.ngettext(entry.msgid, entry.msgid_plural, 1))
    return (mo.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt is not None
            else mo.gettext(entry.msgid))


# --- API errors ---------------------------------------------------------------------------

def test_an_error_detail_is_chinese_by_default_and_english_on_request(api):
    chinese = api().get("/api/v1/me").json()
    english = api().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()
    assert chinese["code"] == english["code"] == "not_authenticated"
    with translation.override("zh-hans"):
        assert chinese["detail"] == str(NotAuthenticated.default_detail)
    assert CJK.search(chinese["detail"])
    assert english["detail"] == "Authentication credentials were not provided."


@pytest.mark.parametrize("accept_language, detail", [
    (None, "该位置不在任何网格内。"),
    ("zh-CN,zh;q=0.9", "该位置不在任何网格内。"),  # what WeChat's web view sends
    ("en", "The point lies outside every grid."),
    ("en-US,en;q=0.9", "The point lies outside every grid."),
])
def test_a_domain_error_speaks_the_requested_language(api, accept_language, detail):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = api("leader1").get("/api/v1/grids/locate/?lat=0&lng=0", **headers)
    assert response.status_code == 404
    assert response.json() == {"code": "outside_all_grids", "detail": detail}


def test_a_validation_error_is_chinese_down_to_its_fields(api):
    body = api("leader1").patch("/api/v1/me", {"display_name": "长" * 200}, format="json").json()
    assert body["code"] == "invalid"
    assert body["detail"].startswith("显示名称：")  # the field, named in words
    assert all(CJK.search(message) for message in body["fields"]["display_name"])


# --- the admin ----------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, world):
    client.force_login(User.objects.get(username="admin"))
    return client


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def test_the_admin_index_is_in_chinese(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    text = response.content.decode()
    assert '<html lang="zh-hans"' in text
    assert "网格通管理后台" in text
    for name in ("网格", "行政区划", "网格成员", "问题分类", "承办部门", "事件", "职责分工",
                 "专项补贴发放", "补贴发放批次", "专项补贴标准", "账号", "工作人员角色"):
        assert f">{name}<" in text, name  # an app or a model of the index


def test_the_admin_speaks_english_on_request(admin_client):
    response = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Grid Link administration" in response.content.decode()


@pytest.mark.parametrize("model, title", [
    ("gridapp_region", "行政区划"),
    ("gridapp_grid", "网格"),
    ("gridapp_gridmembership", "网格成员"),
    ("gridapp_report", "事件"),
    ("gridapp_category", "问题分类"),
    ("gridapp_department", "承办部门"),
    ("payroll_run", "补贴发放批次"),
])
def test_a_changelist_loads_with_a_chinese_title(admin_client, model, title):
    response = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200
    assert title in title_of(response) and "网格通" in title_of(response)


def test_a_run_shows_its_status_in_chinese(admin_client):
    services.create_run(period=dt.date(2026, 11, 1), region=Region.objects.get(code=HHL),
                        actor=User.objects.get(username="admin"))
    response = admin_client.get(reverse("admin:payroll_run_changelist"))
    assert "<td class=\"field-status\">草稿</td>" in response.content.decode()


HHL = "450502001001"  # 黄海路社区
NEW_CELL = geo.rectangle(21.4860, 109.1100, 21.4880, 109.1120)  # north of HHL-07, free
NO_LEADERS = {"leader_terms-TOTAL_FORMS": "0", "leader_terms-INITIAL_FORMS": "0"}


def add_grid(client, boundary: str):
    return client.post(reverse("admin:gridapp_grid_add"), {
        "code": "HHL-10", "name": "黄海路第十网格", "community": Region.objects.get(code=HHL).pk,
        "boundary": boundary, **NO_LEADERS})


def test_an_administrator_adds_a_community_region(admin_client):
    street = Region.objects.get(code="450502001000")  # 东街街道
    response = admin_client.post(reverse("admin:gridapp_region_add"), {
        "code": "450502001003", "name": "新港社区", "level": "community", "parent": street.pk})
    assert response.status_code == 302, title_of(response)
    region = Region.objects.get(code="450502001003")
    assert (region.name, region.level, region.parent) == ("新港社区", "community", street)


def test_a_region_code_of_the_wrong_length_is_a_chinese_form_error(admin_client):
    response = admin_client.post(reverse("admin:gridapp_region_add"), {
        "code": "45050200100", "name": "短代码社区", "level": "community"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["code"] == ["统计区划代码必须为 12 位数字。"]
    assert not Region.objects.filter(name="短代码社区").exists()


def test_an_administrator_adds_a_grid_with_a_rectangle_boundary(admin_client):
    form = admin_client.get(reverse("admin:gridapp_grid_add")).content.decode()
    assert "边界（GeoJSON Polygon，GCJ-02 坐标）" in form and "一个闭合环" in form  # how to type it
    response = add_grid(admin_client, json.dumps(NEW_CELL))
    assert response.status_code == 302, title_of(response)
    grid = Grid.objects.get(code="HHL-10")
    assert grid.boundary == NEW_CELL
    assert (grid.min_lat, grid.min_lng, grid.max_lat, grid.max_lng) == (
        21.4860, 109.1100, 21.4880, 109.1120)


UNCLOSED = {"type": "Polygon", "coordinates": [NEW_CELL["coordinates"][0][:-1]]}


@pytest.mark.parametrize("boundary, error", [
    (json.dumps(UNCLOSED), "环必须闭合：最后一个坐标点须与第一个相同。"),
    (json.dumps({"type": "Point", "coordinates": [109.113, 21.483]}),
     "边界必须是 GeoJSON Polygon（多边形）。"),
    ('{"type": "Polygon", "coordinates": [[', None),  # not JSON: Django's own message
])
def test_a_malformed_boundary_is_a_form_error_and_stores_nothing(admin_client, boundary, error):
    grids = Grid.objects.count()
    response = add_grid(admin_client, boundary)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["boundary"]
    if error is None:
        assert errors and all(CJK.search(message) for message in errors)
    else:
        assert errors == [error] and error in response.content.decode()
    assert Grid.objects.count() == grids
