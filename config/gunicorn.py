"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi`.

Its own error and access logs go through the same JSON formatter as the application's
(with the request id and phone numbers masked), so one log shipper reads them all.
"""

import os

from config.observability import logging_config

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'

logconfig_dict = logging_config(
    "json" if os.environ.get("LOG_FORMAT", "json") == "json" else "text", "INFO",
    loggers=["gunicorn.error", "gunicorn.access"])
