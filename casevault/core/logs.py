"""Logging for every casevault process: one JSON object per line, or text for humans.

The API, the worker and beat all log through the handler ``configure_logging``
puts on the root logger. Two context variables say what a line belongs to: the
request id (set by the API for each request and carried into the tasks the
request starts) and the running task. A filter on the handler copies them onto
every record, whichever library logged it.

Only named fields leave a record: never ``extra`` data at large, since Celery
attaches task arguments there.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from casevault.core.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("casevault_request_id", default=None)


@dataclass(frozen=True)
class RunningTask:
    name: str
    id: str


TASK: ContextVar[RunningTask | None] = ContextVar("casevault_task", default=None)
QUIET_LOGGERS = {
    "alembic.runtime.plugins": logging.WARNING,
    # HTTP clients log every URL, query string included, at INFO.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    # Subsetting a bundle's font (fpdf2) lists at INFO every glyph of the text it sets: letters of a child's records.
    "fontTools": logging.WARNING,
}


def current_request_id() -> str | None:
    return REQUEST_ID.get()


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """Lines logged inside carry this request id (none when None)."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class ContextFilter(logging.Filter):
    """Copies the request id and the running task onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        task = TASK.get()
        record.task_name = task.name if task else None
        record.task_id = task.id if task else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in ("request_id", "task_name", "task_id"):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        http = getattr(record, "http", None)  # the access log's fields
        if http is not None:
            line["http"] = http
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        context = []
        # The log context filters add these attributes; LogRecord does not declare them.
        request_id = getattr(record, "request_id", None)
        task_name = getattr(record, "task_name", None)
        if request_id:
            context.append(f"request_id={request_id}")
        if task_name:
            context.append(f"task={task_name}[{getattr(record, 'task_id', None)}]")
        return f"{text} ({', '.join(context)})" if context else text


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a line is logged, so a test
    runner or a daemoniser that swaps it never leaves us a closed stream."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    """Route every logger through one handler in the configured format.

    Safe to call again (a process that re-reads its settings): the handler
    this function added before is replaced, other handlers are left alone.
    """
    handler = _StderrHandler()
    handler.casevault = True  # type: ignore[attr-defined]  # a mark on the handler, so configuring again replaces it
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "casevault", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.captureWarnings(True)  # a library's warning becomes a line in the same format
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
