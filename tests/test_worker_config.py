"""The Celery wiring: every scheduled task exists, and OCR has its own queue."""

from __future__ import annotations

from casevault.app.services import Services
from casevault.app.task_queue import LIFECYCLE_QUEUE, OCR_QUEUE
from casevault.core.settings import Settings


def test_every_scheduled_task_is_registered_and_routed(tmp_path) -> None:
    celery = Services(Settings(data_dir=tmp_path).resolved()).celery
    celery.loader.import_default_modules()
    registered = set(celery.tasks)
    scheduled = {entry["task"] for entry in celery.conf.beat_schedule.values()}
    assert scheduled <= registered, scheduled - registered
    assert {
        "casevault.retention.sweep",
        "casevault.ingest.requeue_stalled",
        "casevault.archive.verify_storage",
    } <= scheduled

    def queue(name: str) -> str:
        return (celery.amqp.router.route({}, name) or {}).get("queue").name

    assert queue("casevault.ingest.ocr_document") == OCR_QUEUE
    assert queue("casevault.retention.sweep") == LIFECYCLE_QUEUE
    assert queue("casevault.ingest.requeue_stalled") == LIFECYCLE_QUEUE


def test_a_queue_prefix_names_every_queue_broadcast_and_redis_key_of_the_installation(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0", queue_prefix="site-b.").resolved()
    celery = Services(settings).celery

    def queue(name: str) -> str:
        return (celery.amqp.router.route({}, name) or {}).get("queue").name

    assert queue("casevault.ingest.ocr_document") == "site-b.ocr"
    assert queue("casevault.retention.sweep") == "site-b.lifecycle"
    assert celery.conf.control_exchange == "site-b.celery"  # worker ping
    options = celery.conf.broker_transport_options
    assert {options[key] for key in ("unacked_key", "unacked_index_key", "unacked_mutex_key")} == {
        "site-b.unacked",
        "site-b.unacked_index",
        "site-b.unacked_mutex",
    }
