"""Which servers the tests use: PostgreSQL, Redis and RabbitMQ at their usual local
addresses whenever they answer there, as in CI, so `make test` runs the same tests
for everyone. A ``CASEVAULT_TEST_*`` variable names another address; set empty or to
``off`` it leaves that server out."""

from __future__ import annotations

import functools
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

CONNECT_SECONDS = 2  # a server that does not answer within this is taken as absent
OFF = {"", "off"}


@dataclass(frozen=True)
class Server:
    name: str
    variable: str
    usual: str


POSTGRESQL = Server("PostgreSQL", "CASEVAULT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = Server("Redis", "CASEVAULT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ = Server("RabbitMQ", "CASEVAULT_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
BROKERS = {"redis": REDIS, "rabbitmq": RABBITMQ}


def named_url(server: Server) -> str | None:
    """The URL the variable names; None when it is unset (use the usual address if it answers)."""
    value = os.environ.get(server.variable)
    if value is not None and value.strip().lower() in OFF:
        pytest.skip(f"{server.name} tests are off ({server.variable}={value!r}); unset it to run them")
    return value


def postgres_url() -> str:
    """The PostgreSQL server to make this run's database on, or skip saying why.
    A URL named in the variable is used as it is: if it fails, the tests fail."""
    named = named_url(POSTGRESQL)
    if named is not None:
        return named
    refused = _postgres_refuses(POSTGRESQL.usual)
    if refused:
        pytest.skip(f"no PostgreSQL at {POSTGRESQL.usual} ({refused}); set {POSTGRESQL.variable} to use another")
    return POSTGRESQL.usual


def broker_url(kind: str) -> str:
    """The Redis or RabbitMQ server (``kind``), or skip saying why when it does not answer."""
    server = BROKERS[kind]
    url = named_url(server) or server.usual
    parsed = urlparse(url)
    if not _answers(parsed.hostname or "127.0.0.1", parsed.port or 0):
        pytest.skip(f"no {server.name} server answers at {parsed.hostname}:{parsed.port} (set {server.variable})")
    return url


@functools.cache
def _postgres_refuses(url: str) -> str:
    """Why we cannot log in there ('' when we can): connection refused, a password needed, ..."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": CONNECT_SECONDS})
    try:
        with engine.connect():
            return ""
    except sa.exc.OperationalError as error:
        return str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
    finally:
        engine.dispose()


@functools.cache
def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError:
        return False
    return True


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL server (skip when there is
    none), dropped afterwards."""
    server_url = postgres_url()
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
