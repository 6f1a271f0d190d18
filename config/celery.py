"""Celery application: workers and beat on Redis in production, eager in-process by default."""

import logging.config
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gridlink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log like the web processes (JSON in production, request ids,
    phone numbers masked) instead of Celery taking over the root logger."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
