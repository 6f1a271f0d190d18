"""The console's part of the demo world (docs/demo.md "Web console"): every staff user
signs in with the password `gridlink-demo` (`admin` keeps `admin`). Idempotent: a
password already set is left as it is. The demo is refused with DEBUG off (seed_demo)."""

from accounts.models import User
from gridapp.models import StaffRole

DEMO_PASSWORD = "gridlink-demo"


def build() -> None:
    staff = User.objects.filter(pk__in=StaffRole.objects.values("user_id")).exclude(
        username="admin").order_by("username")
    for user in staff:
        if not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
