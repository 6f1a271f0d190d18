"""The categories of DEMO.md ("Categories and responsibility") and which department
handles each (the "handled by" column), built idempotently. Departments come first
(gridapp.demo); 其他 has no row: the dispatcher decides.
"""

from .models import Category, Department, Region, Responsibility

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


def build() -> None:
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
