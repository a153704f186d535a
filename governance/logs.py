"""Logging for the long-running processes (``serve``, ``worker``, the scheduler): one place.

Records go to stderr as text (``2024-05-01 12:00:00,000 INFO governance.worker: ...``) or, with
``json_lines``, one JSON object per line (``{"at", "level", "logger", "message"}``). APScheduler
announces every job run at INFO ("Running job ...", "... executed successfully" every 2 s); its
loggers are held at WARNING unless the level is DEBUG, so routine runs show only when debugging
and a failing job (logged at ERROR) always shows.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ROUTINE_LOGGERS = ("apscheduler",)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, *, json_lines: bool = False) -> None:
    """Set up the root logger once (a no-op when something, e.g. pytest, already has), and APScheduler's level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    routine = logging.DEBUG if logging.getLevelName(level) == logging.DEBUG else logging.WARNING
    for name in ROUTINE_LOGGERS:
        logging.getLogger(name).setLevel(routine)
