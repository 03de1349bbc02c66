"""`casevault worker ping`: does the worker on this host answer over the broker?

A container health check, so it proves what matters: the worker is connected
to the broker and its main loop is not stuck. It sends Celery's broadcast ping
to one node and waits for the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from celery import Celery
from celery.utils.nodenames import default_nodename
from kombu.exceptions import OperationalError


@dataclass(frozen=True)
class PingAnswer:
    ok: bool
    message: str


def this_hosts_worker() -> str:
    """The node name `casevault worker` takes: Celery's default, celery@<hostname>."""
    node: str = default_nodename(None)
    return node


def ping_worker(celery: Celery, *, node: str | None, timeout: float) -> PingAnswer:
    node = node or this_hosts_worker()
    connection = celery.connection_for_write()
    try:
        if "fanout" not in connection.transport.implements.exchange_type:
            return PingAnswer(
                False,
                f"cannot ping {node}: the {connection.transport.driver_type} broker has no broadcast; "
                "worker ping needs Redis or RabbitMQ (CASEVAULT_BROKER_URL=redis://… or amqp://…)",
            )
        try:
            replies = celery.control.ping(destination=[node], timeout=timeout, limit=1, connection=connection)
        except (OperationalError, OSError) as error:
            return PingAnswer(False, f"cannot ping {node}: broker unreachable ({type(error).__name__}: {error})")
    finally:
        connection.release()
    if any(node in reply for reply in replies):
        return PingAnswer(True, f"{node}: pong")
    return PingAnswer(False, f"{node} did not answer within {timeout:g}s: is it running and connected to the broker?")
