"""Database fixtures: every database test runs on SQLite, and again on PostgreSQL
whenever one answers (see tests.local_servers: CASEVAULT_TEST_DATABASE_URL names
another server, or set to ``off`` leaves PostgreSQL out).

The schema is always built by running the migrations, never by create_all:
SQLite migrates once into a template file that each test copies; PostgreSQL
migrates one throw-away database per run and truncates it before each test.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from casevault.app.parts import audit_mac_key
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory
from casevault.core.migrate import upgrade
from casevault.core.settings import Settings, load_settings
from tests.local_servers import fresh_postgres_database

KEPT_TABLES = {"alembic_version"}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("schema") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    with fresh_postgres_database("casevault_test") as url:
        upgrade(url)
        yield url


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            tables = [t for t in sa.inspect(connection).get_table_names() if t not in KEPT_TABLES]
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
            connection.exec_driver_sql("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, repeat('0', 64))")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "casevault.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_server_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(data_dir=tmp_path / "var", database_url=database_url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.date(2026, 11, 24))


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    audit_mac_key(settings).init()  # every audit row is sealed with it; `storage init` makes it in real life
    built = Services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def new_session(container: Services) -> SessionFactory:
    return container.new_session


@pytest.fixture
def engine(container: Services) -> sa.Engine:
    return container.engine
