"""Celery logs through casevault's logging, and tasks carry the request id.

The request that sends a task puts its id in the message headers
(``before_task_publish``); the worker binds it, with the task's name and id,
for the task's run (``task_prerun`` to ``task_postrun``), so every line the task
logs, and every task it sends in turn, names the request that started it.

In task protocol 2 a custom header is merged into the message headers and
arrives as an attribute of ``task.request`` (celery#4875), and in
``task.request.headers`` since Celery 5.3; both are read.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from casevault.core.logs import REQUEST_ID, TASK, RunningTask

HEADER = "casevault_request_id"
_bound: dict[str, tuple[Token[str | None], Token[RunningTask | None]]] = {}  # task id -> tokens to reset after its run


def connect() -> None:
    """Idempotent: each receiver is connected once per process (dispatch_uid)."""
    setup_logging.connect(_keep_our_logging, weak=False, dispatch_uid="casevault.logging")
    before_task_publish.connect(_add_request_id, weak=False, dispatch_uid="casevault.request_id.publish")
    task_prerun.connect(_bind_task, weak=False, dispatch_uid="casevault.request_id.prerun")
    task_postrun.connect(_unbind_task, weak=False, dispatch_uid="casevault.request_id.postrun")


def _keep_our_logging(**_: Any) -> None:
    # Any receiver here stops Celery configuring logging (handlers, formats,
    # stdout redirection) in worker and beat: the CLI has configured it already.
    pass


def _add_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = REQUEST_ID.get()
    if request_id is not None and headers is not None:
        headers.setdefault(HEADER, request_id)


def request_id_of(task: Any) -> str | None:
    request = task.request
    return getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)


def _bind_task(task_id: str, task: Any, **_: Any) -> None:
    _bound[task_id] = (REQUEST_ID.set(request_id_of(task)), TASK.set(RunningTask(task.name, task_id)))


def _unbind_task(task_id: str, **_: Any) -> None:
    tokens = _bound.pop(task_id, None)
    if tokens is not None:
        request_token, task_token = tokens
        TASK.reset(task_token)
        REQUEST_ID.reset(request_token)
