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
TASK_MODULES = [
    "casevault.core.tasks", "casevault.archive.tasks", "casevault.archive.audit_tasks", "casevault.ingest.tasks",
    "casevault.retention.tasks",
]
LONGEST_TASK = dt.timedelta(hours=2)  # a 1000-page scan at 1 page/s, with room


def make_celery(container: Container) -> Celery:
    settings = container.settings
    celery = Celery("casevault")
    celery.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(settings.broker_url),
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
        task_default_queue=LIFECYCLE_QUEUE,
        # Only OCR waits behind scans; everything else (the requeue of lost OCR
        # tasks too) is lifecycle work on the default queue.
        task_routes={"casevault.ingest.ocr_document": {"queue": OCR_QUEUE}},
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


def _transport_options(broker_url: str) -> dict[str, int]:
    # Redis and SQS hand an unacknowledged task to another worker after the
    # visibility timeout: it must outlast the longest task or it would run twice
    # at once. (The SQLAlchemy transport passes options to create_engine: none.)
    if broker_url.startswith(("redis", "rediss", "sqs")):
        return {"visibility_timeout": int(LONGEST_TASK.total_seconds()) + 600}
    return {}


def _beat_schedule(settings: Settings) -> dict[str, dict]:
    return {
        "retention-sweep": {"task": "casevault.retention.sweep", "schedule": crontab(minute=0, hour=2)},
        "verify-audit-chain": {"task": "casevault.archive.verify_audit_chain", "schedule": crontab(minute=30, hour=3, day_of_week=0)},
        "anchor-audit-chain": {"task": "casevault.archive.anchor_audit_chain", "schedule": crontab(minute=15, hour=3)},
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
    container.celery.worker_main([*quiet, "worker", f"--concurrency={concurrency}", f"--queues={queues}", f"--loglevel={loglevel}", "--without-mingle", "--without-gossip"])


def start_beat(container: Container, *, loglevel: str) -> None:
    container.settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the SQLite broker lives there
    quiet = ["--quiet"] if container.settings.log_format == "json" else []  # the banner is plain text
    container.celery.start([*quiet, "beat", f"--loglevel={loglevel}"])
