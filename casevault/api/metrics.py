"""Prometheus metrics at /metrics.

Two kinds, and no personal value in any label:

- this process's HTTP traffic (requests by method, route template and status,
  their durations, upload bytes), counted by a middleware. With several API
  processes (``PROMETHEUS_MULTIPROC_DIR`` set) prometheus_client's multiprocess
  mode adds them up across processes; otherwise each app has its own registry.
- the whole service, read at scrape: the counters workers add to in the database
  (``casevault.core.counters``), documents by status, and the messages waiting in
  each queue, read from the broker within 2 s (``casevault_broker_up`` 0 if not).

Labels come from fixed vocabularies only: methods from a list, routes from our
route templates (``/api/v1/cases/{case_id}``, never the path asked for), statuses
as numbers, outcomes and statuses from enums.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlmodel import select
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casevault.api.health import Probes
from casevault.api.request_id import CLIENT_CLOSED_REQUEST
from casevault.api.route_names import METHODS, RouteTemplates
from casevault.app.services import Services
from casevault.core import counters
from casevault.core.errors import ConfigurationError
from casevault.core.models import Document, DocumentStatus

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

router = APIRouter(tags=["operations"])


class Metrics:
    """One app's metrics: its own counters, and the service-wide ones read at scrape."""

    def __init__(self, services: Services, probes: Probes) -> None:
        self.multiprocess_dir = os.environ.get(MULTIPROC_ENV) or None
        if self.multiprocess_dir and not getattr(values.ValueClass, "_multiprocess", False):
            raise ConfigurationError(
                f"{MULTIPROC_ENV} was set after prometheus_client was imported: set it in the"
                " environment before the API processes start"
            )
        # Multiprocess mode: the values live in files in that directory, read at scrape;
        # the metrics are registered nowhere. Otherwise: a registry of this app's own.
        self.registry = None if self.multiprocess_dir else CollectorRegistry()
        self.requests = Counter(
            "casevault_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "casevault_http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route template",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.upload_bytes = Counter(
            "casevault_upload_bytes",
            "Bytes received in document uploads (whole multipart bodies, refused ones too)",
            registry=self.registry,
        )
        self.service = ServiceCollector(services, probes)

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        registry = CollectorRegistry()
        if self.registry is None:  # multiprocess mode
            MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]  # unannotated
        else:
            registry.register(_Own(self.registry))
        registry.register(self.service)
        return generate_latest(registry)


class _Own:
    """This app's registry as one collector of the scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class ServiceCollector:
    """The whole service, read when scraped. A part that cannot be read is left out
    (and its ``_up`` gauge says so) rather than failing the scrape."""

    def __init__(self, services: Services, probes: Probes) -> None:
        self.services, self.probes = services, probes

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration

    def collect(self) -> Iterator[Metric]:
        yield from self._from_database()
        yield from self._from_broker()

    def _read_database(self) -> tuple[dict[tuple[str, str], float], dict[DocumentStatus, int]]:
        with self.services.new_session() as session:
            totals = counters.totals(session)
            rows = session.exec(select(Document.status, sa.func.count()).group_by(Document.status)).all()
        return totals, {DocumentStatus(status): count for status, count in rows}

    def _from_database(self) -> Iterator[Metric]:
        read = self.probes.within("database", self._read_database)
        up = GaugeMetricFamily("casevault_database_up", "1 if the database answered this scrape within 2 s")
        up.add_metric([], 0 if read is None else 1)
        yield up
        if read is None:
            return
        totals, by_status = read
        for spec in counters.COUNTERS.values():
            family = CounterMetricFamily(
                f"casevault_{spec.name}", spec.help, labels=[spec.label] if spec.label else None
            )
            for label in sorted(spec.values) if spec.label else [""]:  # every value, 0 until counted
                family.add_metric([label] if spec.label else [], totals.get((spec.name, label), 0.0))
            yield family
        documents = GaugeMetricFamily("casevault_documents", "Documents by processing status", labels=["status"])
        for status in DocumentStatus:
            documents.add_metric([status.value], by_status.get(status, 0))
        yield documents

    def _from_broker(self) -> Iterator[Metric]:
        depths = self.probes.queue_depths()
        up = GaugeMetricFamily("casevault_broker_up", "1 if the broker answered this scrape within 2 s")
        up.add_metric([], 0 if depths is None else 1)
        yield up
        if depths is not None:
            family = GaugeMetricFamily(
                "casevault_queue_depth", "Tasks waiting in each queue (not those being worked on)", labels=["queue"]
            )
            for queue, depth in depths.items():
                family.add_metric([queue], depth)
            yield family


class RequestMetrics:
    """ASGI middleware: each request counted by method, route template and status,
    outside the other middleware so a body refused before routing is counted too."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, templates: RouteTemplates, is_upload: Callable[[str], bool]
    ) -> None:
        self.app, self.metrics, self.templates, self.is_upload = app, metrics, templates, is_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, counting_receive, status_send)
        except ClientDisconnect:
            raise  # counted below as the client leaving
        except BaseException:
            status = status or 500  # the app raised before it answered
            raise
        finally:
            method, path = scope["method"], scope["path"]
            route = self.templates(method, path)
            # No answer and no error: the client went away while sending, as the access log says.
            counted = status or CLIENT_CLOSED_REQUEST
            self.metrics.observe(method=method, route=route, status=counted, seconds=time.perf_counter() - started)
            if method == "POST" and self.is_upload(path):
                self.metrics.upload_bytes.inc(received)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics of this API process and the whole service. Open to all: no label holds a personal value."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
