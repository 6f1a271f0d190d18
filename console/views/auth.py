"""Signing in and out: user name and password, staff only, at the API's login rate."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from console.access import LoginThrottle, is_console_staff


class StaffAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_staff": _("This account cannot sign in to the console: grid leaders and "
                       "residents use the mini-program."),
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not is_console_staff(user):
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


_login = LoginView.as_view(template_name="console/login.html",
                           authentication_form=StaffAuthenticationForm,
                           redirect_authenticated_user=False,
                           next_page=reverse_lazy("console:home"))


def login(request: HttpRequest) -> HttpResponse:
    """The sign-in form; too many attempts from one address are refused for a while."""
    if request.method == "POST" and not LoginThrottle().allow_request(request, None):
        return render(request, "console/login.html",
                      {"form": StaffAuthenticationForm(request), "throttled": True}, status=429)
    return _login(request)


logout = LogoutView.as_view(next_page=reverse_lazy("console:login"))
