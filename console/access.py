"""Who may use the console and how they sign in: staff only (dispatchers, handlers,
finance, administrators, as `roles_of` says), with the API's login rate."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from gridapp.selectors.roles import roles_of


def is_console_staff(user: User) -> bool:
    """Command-centre, department and finance staff and administrators; leaders and
    residents use the mini-program."""
    roles = roles_of(user)
    return bool(roles.is_admin or roles.dispatcher_regions or roles.finance_regions
                or roles.handler_departments)


class LoginThrottle(SimpleRateThrottle):
    """The API's `login` rate (THROTTLE_LOGIN), counted per client address for the
    console's sign-in form."""

    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": "console-login", "ident": self.get_ident(request)}


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in staff only; anyone else goes to the sign-in page (a session that is no
    longer staff, say a role withdrawn, is ended)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and not is_console_staff(request.user):
            logout(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
