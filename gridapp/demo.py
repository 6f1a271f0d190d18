"""The grid part of docs/demo.md's demo world (see `config.demo`), built idempotently.

Every name, code and number here is part of the contract that acceptance tests drive.
"""

import datetime as dt

from accounts.models import User
from accounts.wechat import dev_openid

from gridapp import geo
from gridapp.models import (Category, Department, Grid, GridMembership, LeaderTerm, Region,
                            Responsibility, StaffRole)

REGIONS = [  # code, name, level, parent code
    ("450500000000", "北海市", "city", None),
    ("450502000000", "海城区", "district", "450500000000"),
    ("450502001000", "东街街道", "street", "450502000000"),
    ("450502001001", "黄海路社区", "community", "450502001000"),
    ("450502001002", "和平路社区", "community", "450502001000"),
]
HHL, HPL = "450502001001", "450502001002"
CELL = 0.002  # degrees: the side of every demo grid

DEPARTMENTS = [  # code, name, region code
    ("bh-lighting", "北海市照明管理处", "450500000000"),
    ("dj-enforcement", "东街街道综合执法中队", "450502001000"),
]

JAN_1 = dt.date(2026, 1, 1)
LEADER_TERMS = [  # username, grid code, start, end
    *((f"leader{k}", f"HHL-0{k}", JAN_1, None) for k in range(1, 9)),
    ("leader9old", "HHL-09", JAN_1, dt.date(2026, 11, 15)),
    ("leader9", "HHL-09", dt.date(2026, 11, 16), None),
    ("leader10", "HPL-01", JAN_1, None),
    ("leader11", "HPL-02", JAN_1, None),
]
MEMBERS = [  # username, grid code, member type
    ("resident1", "HHL-05", GridMembership.MemberType.VOLUNTEER),
    ("resident2", "HHL-05", GridMembership.MemberType.PROPERTY_STAFF),
    ("resident3", "HPL-01", GridMembership.MemberType.VOLUNTEER),
]
STAFF = [  # username, role, region code or department code
    ("dispatcher-community", StaffRole.Role.DISPATCHER, "450502001001"),
    ("dispatcher-street", StaffRole.Role.DISPATCHER, "450502001000"),
    ("dispatcher-district", StaffRole.Role.DISPATCHER, "450502000000"),
    ("dispatcher-city", StaffRole.Role.DISPATCHER, "450500000000"),
    ("handler-lighting", StaffRole.Role.HANDLER, "bh-lighting"),
    ("handler-enforcement", StaffRole.Role.HANDLER, "dj-enforcement"),
    ("finance1", StaffRole.Role.FINANCE, "450500000000"),
    ("finance2", StaffRole.Role.FINANCE, "450500000000"),
]
OTHER_USERS = ["newcomer"]


GROUPS = [  # code, name
    ("municipal", "市政设施"),
    ("sanitation", "环境卫生"),
    ("safety", "安全隐患"),
    ("construction", "违法建设"),
]
CATEGORIES = [  # code, group code or None, name, SLA hours community / street / district / city
    ("streetlight", "municipal", "路灯不亮", (72, 72, 48, 48)),
    ("clutter", "sanitation", "楼道堆物", (48, 48, 24, 24)),
    ("flying-wire", "safety", "飞线充电", (24, 12, 12, 12)),
    ("illegal-building", "construction", "乱搭乱建", (168, 120, 72, 72)),
    ("other", None, "其他", (72, 72, 72, 72)),
]

RESPONSIBILITIES = [  # category code, region code, department code
    ("streetlight", "450500000000", "bh-lighting"),  # 北海市照明管理处
    ("clutter", "450502001000", "dj-enforcement"),  # 东街街道综合执法中队
    ("flying-wire", "450502001000", "dj-enforcement"),
    ("illegal-building", "450502001000", "dj-enforcement"),
]


def _categories() -> None:
    """docs/demo.md "Categories and responsibility": 其他 has no row, the dispatcher decides."""
    groups = {code: Category.objects.update_or_create(
        code=code, defaults={"name": name, "parent": None, "sort_order": order})[0]
        for order, (code, name) in enumerate(GROUPS)}
    for order, (code, group, name, sla) in enumerate(CATEGORIES):
        community, street, district, city = sla
        Category.objects.update_or_create(code=code, defaults={
            "name": name, "parent": groups.get(group), "sort_order": order,
            "sla_hours_community": community, "sla_hours_street": street,
            "sla_hours_district": district, "sla_hours_city": city})
    for category, region, department in RESPONSIBILITIES:
        Responsibility.objects.update_or_create(
            category=Category.objects.get(code=category), region=Region.objects.get(code=region),
            defaults={"department": Department.objects.get(code=department)})


def demo_grids() -> list[tuple[str, str, str, dict]]:
    """(code, name, community code, boundary) for the 9 + 2 demo grids."""
    grids = []
    for k in range(1, 10):
        row, col = (k - 1) // 3, (k - 1) % 3
        lat, lng = 21.4800 + row * CELL, 109.1100 + col * CELL
        grids.append((f"HHL-0{k}", f"黄海路第{k}网格", HHL, _cell(lat, lng)))
    for k, lng in ((1, 109.1160), (2, 109.1180)):
        grids.append((f"HPL-0{k}", f"和平路第{k}网格", HPL, _cell(21.4800, lng)))
    return grids


def _cell(lat: float, lng: float) -> dict:
    return geo.rectangle(round(lat, 4), round(lng, 4), round(lat + CELL, 4), round(lng + CELL, 4))


def build() -> None:
    """Regions, departments, grids, leader terms, members and staff scopes."""
    regions = _regions()
    departments = {code: Department.objects.update_or_create(
        code=code, defaults={"name": name, "region": regions[region]})[0]
        for code, name, region in DEPARTMENTS}
    grids = {code: _grid(code, name, regions[community], boundary)
             for code, name, community, boundary in demo_grids()}
    for username, grid, start, end in LEADER_TERMS:
        LeaderTerm.objects.update_or_create(grid=grids[grid], start_date=start,
                                            defaults={"user": demo_user(username), "end_date": end})
    for username, grid, member_type in MEMBERS:
        GridMembership.objects.update_or_create(
            grid=grids[grid], user=demo_user(username), status=GridMembership.Status.ACTIVE,
            defaults={"member_type": member_type})
    for username, role, scope in STAFF:
        scope_field = {"department": departments[scope]} if role == StaffRole.Role.HANDLER \
            else {"region": regions[scope]}
        StaffRole.objects.get_or_create(user=demo_user(username), role=role, **scope_field)
    for username in OTHER_USERS:
        demo_user(username)
    _admin()
    _categories()


def _regions() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for code, name, level, parent in REGIONS:
        regions[code] = Region.objects.update_or_create(
            code=code, defaults={"name": name, "level": level,
                                 "parent": regions.get(parent) if parent else None})[0]
    return regions


def _grid(code: str, name: str, community: Region, boundary: dict) -> Grid:
    grid = Grid.objects.filter(code=code).first() or Grid(code=code)
    grid.name, grid.community, grid.boundary = name, community, boundary
    grid.save()
    return grid


def demo_user(username: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"display_name": username,
                                     "wechat_openid": dev_openid(username)})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _admin() -> None:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        User.objects.create_superuser("admin", password="admin", display_name="管理员",
                                  wechat_openid=dev_openid("admin"))
