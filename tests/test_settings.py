"""Settings: the production shape passes Django's deployment checks, refuses to start
half-configured, and speaks zh-hans unless the client asks for English.

The production checks run `manage.py` in a subprocess, because settings are read once
per process and production is a different environment, not an override."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "api.example.com",
    "WECHAT_APP_ID": "wx0123456789abcdef",
    "WECHAT_APP_SECRET": secrets.token_hex(16),
}


def run(args: list[str], **overrides: str | None) -> subprocess.CompletedProcess:
    """`python <args>` in the project with the production environment (an override of
    None unsets a variable)."""
    environment = {**os.environ, **PRODUCTION, **overrides}
    environment = {name: value for name, value in environment.items() if value is not None}
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=environment,
                          capture_output=True, text=True, timeout=120)


def check_deploy(**overrides: str | None) -> subprocess.CompletedProcess:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **overrides)


def test_check_deploy_is_clean_with_the_production_variables():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_a_weak_secret_key():
    result = check_deploy(SECRET_KEY="short")
    assert result.returncode != 0
    assert "security.W009" in result.stderr


@pytest.mark.parametrize("unset", ["SECRET_KEY", "WECHAT_APP_ID"])
def test_production_refuses_to_start_half_configured(unset):
    """No SECRET_KEY, or no WeChat app (which would mean the `dev` login backend, where
    anyone logs in as anyone with `demo-<name>`): ImproperlyConfigured at start-up."""
    result = run(["-c", "import config.settings"], **{unset: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_in_production_healthz_answers_plain_http_and_the_api_redirects_to_https():
    """The load balancer probes over HTTP inside the network; everything else is HTTPS."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='api.example.com')\n"
        "health, api = client.get('/healthz'), client.get('/api/v1/regions/')\n"
        "print(health.status_code, health.content.decode(), api.status_code, api['Location'])\n"
    )
    result = run(["-c", script], DJANGO_SETTINGS_MODULE="config.settings")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['200', '{"status":', '"ok"}', "301",
                                     "https://api.example.com/api/v1/regions/"]


def test_the_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_the_locale_middleware_picks_english_from_accept_language(api):
    chinese = api().get("/api/v1/regions/")
    english = api().get("/api/v1/regions/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert chinese["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"
    assert english.json()["detail"] == "Authentication credentials were not provided."
    assert chinese.json()["detail"] != english.json()["detail"]  # DRF ships zh_Hans


def test_a_read_replica_needs_a_postgresql_primary():
    result = check_deploy(DATABASE_URL="sqlite:///x.sqlite3",
                          DATABASE_REPLICA_URL="postgres://u@127.0.0.1:1/x")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL" in result.stderr


@pytest.mark.parametrize("name, value", [
    ("PAYROLL_YEAR_END_WEIGHTS", "not json"),
    ("PAYROLL_YEAR_END_WEIGHTS", '{"default": {"charm": 1}}'),
    ("PAYROLL_YEAR_END_WEIGHTS", '{"default": {"reports_filed": -1}}'),
    ("PAYROLL_YEAR_END_WEIGHTS", '[1, 2]'),
    ("PAYROLL_YEAR_END_FLOOR", "1.5"),
    ("PAYROLL_YEAR_END_CAP", "0.5"),
    ("PAYROLL_YEAR_END_CAP", "lots"),
    ("PAYROLL_YEAR_END_MIN_DAYS", "400"),
])
def test_a_malformed_year_end_setting_refuses_to_start(name, value):
    result = run(["-c", "import config.settings"], **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_year_end_weights_are_read_per_region():
    result = run(["-c", "import config.settings as s; print(s.PAYROLL_YEAR_END_WEIGHTS"
                  "['450502001001'], s.PAYROLL_YEAR_END_CAP, s.PAYROLL_YEAR_END_FLOOR)"],
                 PAYROLL_YEAR_END_WEIGHTS='{"450502001001": {"rating_mean": 1}}',
                 PAYROLL_YEAR_END_CAP="2", PAYROLL_YEAR_END_FLOOR="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["{'rating_mean':", "Decimal('1')}", "2", "None"]
