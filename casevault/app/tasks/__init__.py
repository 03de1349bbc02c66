"""How casevault's Celery tasks behave.

Tasks are thin wrappers over the use cases: arguments are ids only, they
acknowledge late (a worker that dies mid-task gets it redelivered), and they
are retried only on errors marked ``retryable``. Any other CasevaultError is a
final answer; it propagates so Celery records the failure, never swallowed.

A task reaches the service's parts through ``services_of(task)``: the services
object the composition root gave the Celery app.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task, shared_task

from casevault.app.services import Services
from casevault.core.errors import CasevaultError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

MAX_RETRIES = 8


def casevault_task(name: str) -> Callable[[F], Task]:
    """Register ``fn(task, *ids)`` as an idempotent, late-acknowledged task."""

    def register(fn: F) -> Task:
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

        # Called rather than stacked as a decorator: celery is untyped, and a decorator would untype run.
        register_task = shared_task(
            name=name, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES
        )
        registered: Task = register_task(run)
        return registered

    return register


def services_of(task: Task) -> Services:
    return services_of_app(task.app)


def services_of_app(app: object) -> Services:
    """The services a task or the scheduler runs with, set by ``make_celery``."""
    services = getattr(app, "services", None)
    if not isinstance(services, Services):
        raise TypeError("this Celery app was not made by casevault.app.celery_app.make_celery")
    return services


def holder_of(task: Task) -> str:
    """The task's id: a redelivered copy (its worker died) holds the same claims."""
    return task.request.id.replace("-", "") if task.request.id else secrets.token_hex(8)
