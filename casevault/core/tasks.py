"""How casevault's Celery tasks behave.

Tasks are thin wrappers over service functions: arguments are ids only, they
acknowledge late (a worker that dies mid-task gets it redelivered), and they
are retried only on errors marked ``retryable``. Any other CasevaultError is a
final answer; it propagates so Celery records the failure, never swallowed.

A task reaches the service's parts through ``task.app.container``, which the
composition root sets when it configures the app.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task, shared_task

from casevault.core.errors import CasevaultError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

MAX_RETRIES = 8


def casevault_task(name: str) -> Callable[[F], Task]:
    """Register ``fn(task, *ids)`` as an idempotent, late-acknowledged task."""

    def register(fn: F) -> Task:
        @shared_task(name=name, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
        @functools.wraps(fn)
        def run(task: Task, *args: Any) -> Any:
            try:
                return fn(task, *args)
            except CasevaultError as error:
                if error.retryable:
                    delay = min(600, 5 * 2**task.request.retries)
                    log.warning("task %s will retry in %ss: %s", name, delay, type(error).__name__)
                    raise task.retry(exc=error, countdown=delay) from error
                log.error("task %s failed for good: %s", name, type(error).__name__)
                raise

        return run

    return register
