"""How the service logs: uvicorn's text lines (the default), or one JSON object a line for a
log shipper (YISHITING_LOG_FORMAT=json): time, level, logger, message, and what the line
carries besides (the access lines: method, route, status, duration_ms, client)."""

import copy
import json
import logging
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from geo.core.settings import Settings

# What every LogRecord has; anything else on a record came as `extra` and is written out.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's coloured copy of the message
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in record.__dict__.items() if k not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(settings: Settings, *, access: bool = True) -> dict[str, Any]:
    """The logging configuration of `serve` (uvicorn applies it in each worker process) and
    of the other commands. In JSON, the access lines are the app's (api/middleware/metrics.py, by
    route template: no raw path or query, which may hold a token), not uvicorn's."""
    if settings.log_format == "json":
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": "cli.logs.JsonFormatter"}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": "ext://sys.stderr",
                }
            },
            "loggers": {
                "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                "yishiting": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                "yishiting.access": {"level": "INFO" if access else "WARNING"},
            },
            "root": {"handlers": ["stderr"], "level": "WARNING"},
        }
    config = copy.deepcopy(LOGGING_CONFIG)
    # The service's own lines (escalations, lost tile notices) beside uvicorn's.
    config["loggers"]["yishiting"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
