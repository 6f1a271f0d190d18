"""Structured logs with a request id that follows the work into Celery tasks.

Each request gets an id (the `X-Request-ID` header from nginx if present, else a new
one), returned in the response header and attached to every log record made while the
request is served. Tasks enqueued during the request carry it in their headers, and the
worker puts it back into its own log context. Log lines carry no personal data: we never
log phones or openids, and the formatter masks anything that looks like a phone number.
"""

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable

from celery import signals
from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def mask_personal_data(text: str) -> str:
    return _PHONE.sub(r"\1****\2", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers (Loki, ELK, CLS) ingest directly."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_personal_data(record.getMessage()),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        if record.exc_info:
            entry["exception"] = mask_personal_data(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def logging_config(log_format: str, level: str, loggers: list[str] | None = None) -> dict:
    """The dictConfig of every process (web, worker, beat, gunicorn): one console handler
    in `log_format` ("json" or "text"), with the request id, on the root logger unless
    `loggers` names others."""
    handler = {"handlers": ["console"], "level": level}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.observability.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "config.observability.JsonFormatter"},
            "text": {"()": "config.observability.TextFormatter",
                     "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format,
                                 "filters": ["request_id"]}},
        **({"loggers": {name: {**handler, "propagate": False} for name in loggers}}
           if loggers else {"root": handler}),
    }


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_data(super().format(record))


@signals.before_task_publish.connect
def _send_request_id(headers: dict | None = None, **kwargs) -> None:
    if headers is not None and request_id_var.get() != "-":
        headers.setdefault("request_id", request_id_var.get())


@signals.task_prerun.connect
def _receive_request_id(task=None, **kwargs) -> None:
    # Eager tasks run inside the request and already have its id.
    request_id = getattr(task.request, "request_id", None) if task else None
    request_id = request_id or (request_id_var.get() if request_id_var.get() != "-" else None)
    task._request_id_token = request_id_var.set(request_id or f"task-{uuid.uuid4().hex[:12]}")


@signals.task_postrun.connect
def _forget_request_id(task=None, **kwargs) -> None:
    token = getattr(task, "_request_id_token", None)
    if token is not None:
        request_id_var.reset(token)
        task._request_id_token = None
