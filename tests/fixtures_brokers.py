"""Broker fixtures: each test on Redis or RabbitMQ gets queues of its own.

``on_broker(kind, settings)`` moves settings onto the broker of that kind (or skips
when none answers, see tests.local_servers) with a queue prefix no other test or
suite uses, so two suites sharing a server never take each other's tasks and nothing
is flushed that another may be using. After the test, what it left on the broker
(its queues, exchanges and Redis keys, all named by its prefix) is removed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
import redis
from kombu import Connection

from casevault.app.task_queue import LIFECYCLE_QUEUE, OCR_QUEUE, broker_name
from casevault.core.settings import Settings
from tests.local_servers import broker_url

OnBroker = Callable[[str, Settings], Settings]
TEST_PREFIX = "casevault-test-"
BINDING_DEADLINES = "_kombu.binding_deadlines"  # kombu's one set of when bindings lapse, shared by all


@pytest.fixture
def on_broker() -> Iterator[OnBroker]:
    used: list[Settings] = []

    def on(kind: str, settings: Settings) -> Settings:
        if kind == "sqlite":
            return settings  # the embedded broker: a file in the test's own data directory
        prefix = f"{TEST_PREFIX}{secrets.token_hex(6)}."
        moved = settings.model_copy(update={"broker_url": broker_url(kind), "queue_prefix": prefix})
        used.append(moved)
        return moved

    yield on
    for settings in used:
        remove_from_broker(settings)


def remove_from_broker(settings: Settings) -> None:
    """Every queue, exchange and key named by ``settings.queue_prefix``, gone."""
    prefix = settings.queue_prefix
    assert prefix.startswith(TEST_PREFIX), "only a test's own names are removed"
    if settings.broker_url.startswith("redis"):
        client = redis.Redis.from_url(settings.broker_url)
        try:
            # Queues and unacknowledged tasks start with the prefix; exchange bindings hold it.
            for key in client.scan_iter(match=f"*{prefix}*"):
                client.delete(key)
            for member, _ in client.zscan_iter(BINDING_DEADLINES, match=f"*{prefix}*"):
                client.zrem(BINDING_DEADLINES, member)
        finally:
            client.close()
        return
    queues = [broker_name(settings, queue) for queue in (OCR_QUEUE, LIFECYCLE_QUEUE)]
    exchanges = [*queues, broker_name(settings, "celery.pidbox"), f"reply.{broker_name(settings, 'celery.pidbox')}"]
    with Connection(settings.broker_url, connect_timeout=5) as connection:
        channel = connection.default_channel  # RabbitMQ deletes a missing queue or exchange without complaint
        for queue in queues:
            channel.queue_delete(queue)
        for exchange in exchanges:
            channel.exchange_delete(exchange)
