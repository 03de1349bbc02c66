"""The Celery app, configured from settings by the composition root.

``make_celery`` builds an app from the services object: broker, queues, beat
schedule, and the services its tasks use (``services_of(task)``). Tasks are
shared tasks, so every app built here knows them. OCR and lifecycle work have queues
of their own, so a backlog of scans never delays an archive move or a
destruction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

from celery import Celery, current_app
from celery.schedules import crontab
from celery.signals import worker_process_init
from kombu.transport import sqlalchemy as sqla

from casevault.app import task_logging
from casevault.app.task_queue import (
    ANCHOR_AUDIT_TASK,
    BACKUP_TASK,
    LIFECYCLE_QUEUE,
    OCR_QUEUE,
    OCR_TASK,
    SWEEP_TASK,
    VERIFY_AUDIT_TASK,
    broker_name,
)
from casevault.core.scratch import remove_stale
from casevault.core.settings import Settings

TASK_MODULES = [
    "casevault.app.tasks.backups",
    "casevault.app.tasks.checks",
    "casevault.app.tasks.ingest",
    "casevault.app.tasks.retention",
    "casevault.app.tasks.sar_bundles",
]
LONGEST_TASK = dt.timedelta(hours=2)  # a 1000-page scan at 1 page/s, with room
SQLITE_BROKER_POLL_S = 0.25
# kombu's Redis options naming its keys for unacknowledged tasks, and their defaults
REDIS_UNACKED_KEYS = {
    "unacked_key": "unacked",
    "unacked_index_key": "unacked_index",
    "unacked_mutex_key": "unacked_mutex",
}


class CeleryHost(Protocol):
    """What the Celery app needs of the services object that builds it (``Services``),
    named here so this module does not import the object that imports it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def celery(self) -> CasevaultCelery: ...


class CasevaultCelery(Celery):  # type: ignore[misc]  # celery is untyped
    """The Celery app with the services its tasks run with (``services_of`` in app.tasks)."""

    services: CeleryHost


def make_celery(services: CeleryHost) -> CasevaultCelery:
    settings = services.settings
    celery = CasevaultCelery("casevault")
    celery.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(settings),
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # After a lost broker connection an unacknowledged task is redelivered;
        # cancel the running copy so the same task never runs twice at once.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_time_limit=int(LONGEST_TASK.total_seconds()),
        task_default_queue=broker_name(settings, LIFECYCLE_QUEUE),
        # Only OCR waits behind scans; everything else (the requeue of lost OCR
        # tasks too) is lifecycle work on the default queue.
        task_routes={OCR_TASK: {"queue": broker_name(settings, OCR_QUEUE)}},
        # Broadcasts (worker ping) stay within this installation too.
        control_exchange=broker_name(settings, "celery"),
        imports=TASK_MODULES,
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        beat_schedule=_beat_schedule(settings),
        # Only the beat holding the database lease sends; last-run times live in
        # the database too, so two beats never share (or need) a schedule file.
        beat_scheduler="casevault.app.beat:LeasedScheduler",
    )
    celery.services = services
    task_logging.connect()
    return celery


def _transport_options(settings: Settings) -> dict[str, int | str]:
    options: dict[str, int | str] = {}
    if settings.broker_url.startswith("sqla+sqlite"):
        _poll_sqlite_broker_sooner()
    # Redis and SQS hand an unacknowledged task to another worker after the
    # visibility timeout: it must outlast the longest task or it would run twice
    # at once. (The SQLAlchemy transport passes options to create_engine: none.)
    if settings.broker_url.startswith(("redis", "rediss", "sqs")):
        options["visibility_timeout"] = int(LONGEST_TASK.total_seconds()) + 600
    if settings.broker_url.startswith(("redis", "rediss")):
        # Redis keeps unacknowledged tasks in keys of its own: prefixed like the queues,
        # so one installation never redelivers another's. (kombu's global_keyprefix
        # would cover these too, but its passive queue check ignores the prefix.)
        options.update({option: broker_name(settings, key) for option, key in REDIS_UNACKED_KEYS.items()})
    return options


def _poll_sqlite_broker_sooner() -> None:
    """kombu's SQLAlchemy transport polls its table for tasks once a second by default: up
    to a second before a task starts. Four polls a second bound that wait to a quarter of a
    second for about 2 % of a core while idle (ten a second cost 6 %). (Its
    ``polling_interval`` transport option would reach ``create_engine``, which refuses it.)"""
    sqla.Transport.polling_interval = SQLITE_BROKER_POLL_S


def _beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    schedule = _every_day_and_week(settings)
    if settings.database_url.startswith("sqlite") and settings.storage_url.startswith("file://"):
        # The embedded default backs itself up; PostgreSQL and S3 are backed up by their operators.
        schedule["backup"] = {"task": BACKUP_TASK, "schedule": crontab(minute=45, hour=1)}
    return schedule


def _every_day_and_week(settings: Settings) -> dict[str, dict[str, object]]:
    return {
        "retention-sweep": {"task": SWEEP_TASK, "schedule": crontab(minute=0, hour=2)},
        "verify-audit-chain": {"task": VERIFY_AUDIT_TASK, "schedule": crontab(minute=30, hour=3, day_of_week=0)},
        "anchor-audit-chain": {"task": ANCHOR_AUDIT_TASK, "schedule": crontab(minute=15, hour=3)},
        "requeue-stalled-ocr": {
            "task": "casevault.ingest.requeue_stalled",
            "schedule": dt.timedelta(seconds=settings.ocr_stall_seconds),
        },
        "verify-storage": {
            "task": "casevault.archive.verify_storage",
            "schedule": crontab(minute=0, hour=4, day_of_week=6),
        },
    }


def _fresh_connections_after_fork(**_: object) -> None:
    # Pooled connections inherited through fork() must not be shared.
    services = getattr(current_app, "services", None)
    if services is not None and "engine" in services.__dict__:
        services.engine.dispose(close=False)


# Connected by a call, not as a decorator: celery is untyped, and its decorator would untype the function.
worker_process_init.connect(_fresh_connections_after_fork)


def start_worker(services: CeleryHost, *, concurrency: int, queues: str, loglevel: str) -> None:
    services.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the SQLite broker lives there
    remove_stale(services.settings.data_dir / "tmp")  # plaintext a worker killed mid-OCR left behind
    logging.getLogger("casevault").setLevel(loglevel)
    # --quiet (celery's own option) drops the start-up banner, which is plain text, from JSON output.
    quiet = ["--quiet"] if services.settings.log_format == "json" else []
    queues = ",".join(broker_name(services.settings, queue.strip()) for queue in queues.split(","))
    services.celery.worker_main(
        [
            *quiet,
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={queues}",
            f"--loglevel={loglevel}",
            "--without-mingle",
            "--without-gossip",
        ]
    )


def start_beat(services: CeleryHost, *, loglevel: str) -> None:
    services.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the SQLite broker lives there
    quiet = ["--quiet"] if services.settings.log_format == "json" else []  # the banner is plain text
    services.celery.start([*quiet, "beat", f"--loglevel={loglevel}"])
