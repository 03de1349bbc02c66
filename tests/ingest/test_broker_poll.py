"""An upload on the embedded SQLite broker is picked up by the worker within a quarter of a second, not a whole one."""

from __future__ import annotations

from pathlib import Path

from casevault.app.services import Services
from casevault.core.settings import Settings


def test_worker_on_the_embedded_sqlite_broker_polls_for_uploads_four_times_a_second(tmp_path: Path) -> None:
    celery = Services(Settings(data_dir=tmp_path).resolved()).celery
    with celery.connection_for_read() as connection:
        assert connection.transport_cls == "sqla", "the default broker is the embedded SQLite one"
        assert connection.transport.polling_interval <= 0.25
        connection.ensure_connection(max_retries=1)  # and still connects: the option is not one for create_engine
