"""The Celery app, configured from settings by the composition root.

``make_celery`` builds an app from a container: broker, queues, beat schedule,
and the container its tasks use (``task.app.container``). Tasks are shared
tasks, so every app built here knows them. OCR and lifecycle work have queues
of their own, so a backlog of scans never delays an archive move or a
destruction.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import Celery, current_app
from celery.schedules import crontab
from celery.signals import worker_process_init

from casevault import task_logging
from casevault.core.settings import Settings
from casevault.wiring import Container

OCR_QUEUE = "ocr"
LIFECYCLE_QUEUE = "lifecycle"
TASK_MODULES = ["casevault.core.tasks", "casevault.archive.tasks", "casevault.ingest.tasks", "casevault.retention.tasks"]
LONGEST_TASK = dt.timedelta(hours=2)  # a 1000-page scan at 1 page/s, with room
# kombu's Redis options naming its keys for unacknowledged tasks, and their defaults
REDIS_UNACKED_KEYS = {
    "unacked_key": "unacked", "unacked_index_key": "unacked_index", "unacked_mutex_key": "unacked_mutex",
}


def make_celery(container: Container) -> Celery:
    settings = container.settings
    celery = Celery("casevault")
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
        task_routes={"casevault.ingest.ocr_document": {"queue": broker_name(settings, OCR_QUEUE)}},
        # Broadcasts (worker ping) stay within this installation too.
        control_exchange=broker_name(settings, "celery"),
        imports=TASK_MODULES,
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        beat_schedule=_beat_schedule(settings),
        # Only the beat holding the database lease sends; last-run times live in
        # the database too, so two beats never share (or need) a schedule file.
        beat_scheduler="casevault.beat:LeasedScheduler",
    )
    celery.container = container  # type: ignore[attr-defined]
    task_logging.connect()
    return celery


def broker_name(settings: Settings, name: str) -> str:
    """What the broker calls one of ours: a queue (``OCR_QUEUE``, ``LIFECYCLE_QUEUE``), the
    broadcast exchange or a Redis key, prefixed so installations sharing a broker stay apart."""
    return settings.queue_prefix + name


def _transport_options(settings: Settings) -> dict[str, int | str]:
    options: dict[str, int | str] = {}
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


def _beat_schedule(settings: Settings) -> dict[str, dict]:
    return {
        "retention-sweep": {"task": "casevault.retention.sweep", "schedule": crontab(minute=0, hour=2)},
        "verify-audit-chain": {"task": "casevault.core.verify_audit_chain", "schedule": crontab(minute=30, hour=3, day_of_week=0)},
        "requeue-stalled-ocr": {"task": "casevault.ingest.requeue_stalled", "schedule": dt.timedelta(seconds=settings.ocr_stall_seconds)},
        "verify-storage": {"task": "casevault.archive.verify_storage", "schedule": crontab(minute=0, hour=4, day_of_week=6)},
    }


@worker_process_init.connect
def _fresh_connections_after_fork(**_: object) -> None:
    # Pooled connections inherited through fork() must not be shared.
    container = getattr(current_app, "container", None)
    if container is not None and "engine" in container.__dict__:
        container.engine.dispose(close=False)


def start_worker(container: Container, *, concurrency: int, queues: str, loglevel: str) -> None:
    container.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the SQLite broker lives there
    logging.getLogger("casevault").setLevel(loglevel)
    # --quiet (celery's own option) drops the start-up banner, which is plain text, from JSON output.
    quiet = ["--quiet"] if container.settings.log_format == "json" else []
    queues = ",".join(broker_name(container.settings, queue.strip()) for queue in queues.split(","))
    container.celery.worker_main([*quiet, "worker", f"--concurrency={concurrency}", f"--queues={queues}", f"--loglevel={loglevel}", "--without-mingle", "--without-gossip"])


def start_beat(container: Container, *, loglevel: str) -> None:
    container.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the SQLite broker lives there
    quiet = ["--quiet"] if container.settings.log_format == "json" else []  # the banner is plain text
    container.celery.start([*quiet, "beat", f"--loglevel={loglevel}"])
