"""The composition root: settings in, the service's parts out.

Everything is built lazily on first use and only here, so importing any
module of casevault opens no connection and reads no environment.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casevault.core import audit
from casevault.core.clock import Clock, SystemClock
from casevault.core.db import SessionFactory, make_engine, session_factory
from casevault.core.settings import Settings

if TYPE_CHECKING:
    from celery import Celery

    from casevault.archive import Vault
    from casevault.retention.schedule import Schedule


class Container:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()

    @cached_property
    def engine(self) -> sa.Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def new_session(self) -> SessionFactory:
        # The audit MAC key is read on the first audit row, not here: most sessions write none.
        return session_factory(self.engine, info={audit.MAC_KEY_INFO: lambda: self.audit_mac_key})

    @cached_property
    def audit_mac_key(self) -> bytes:
        """The audit chain's MAC key, from beside the key-encryption key (never the database)."""
        from casevault.archive.audit_keys import load_audit_mac_key

        return load_audit_mac_key(self.settings)

    @cached_property
    def vault(self) -> "Vault":
        from casevault.archive import build_vault

        return build_vault(self.settings, new_session=self.new_session, clock=self.clock)

    @cached_property
    def celery(self) -> "Celery":
        from casevault.worker import make_celery

        return make_celery(self)

    @cached_property
    def schedule(self) -> "Schedule":
        from casevault.retention.schedule import load_schedule

        return load_schedule(self.settings.schedule_file)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
