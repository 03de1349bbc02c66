"""The composition root's services object: settings in, the service's parts out.

Built once per process from settings and handed to every edge (routes, pages,
commands, tasks). Each part is built on first use, so importing casevault, or
building ``Services``, opens no connection and reads no environment.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa

from casevault.app import parts
from casevault.app.usecases.backups import BackupWork
from casevault.app.usecases.cases import CaseWork
from casevault.app.usecases.consents import ConsentWork
from casevault.app.usecases.corrections import CorrectionWork
from casevault.app.usecases.documents import DocumentWork
from casevault.app.usecases.lifecycle import LifecycleWork
from casevault.app.usecases.redactions import RedactionWork
from casevault.app.usecases.statistics import StatisticsWork
from casevault.app.usecases.subject_access import SubjectAccessWork
from casevault.archive.key_providers import KeyProvider
from casevault.archive.ledger import DestructionLedger
from casevault.archive.store import ObjectStore
from casevault.archive.vault import Vault
from casevault.core import audit
from casevault.core.auth_failures import FailureLimits
from casevault.core.clock import Clock, SystemClock
from casevault.core.db import SessionFactory, make_engine, session_factory
from casevault.core.settings import Settings
from casevault.ingest.options import OcrOptions, UploadLimits
from casevault.retention.parts import Lifecycle
from casevault.retention.schedule import Schedule, load_schedule

if TYPE_CHECKING:
    from casevault.app.celery_app import CasevaultCelery
    from casevault.app.task_queue import TaskQueue


class Services:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()

    # --- parts ------------------------------------------------------------------------

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
        return parts.audit_mac_key(self.settings, store=self.store).load()

    @cached_property
    def key_provider(self) -> KeyProvider:
        return parts.build_key_provider(self.settings)

    @cached_property
    def store(self) -> ObjectStore:
        return parts.open_store(self.settings)

    @cached_property
    def vault(self) -> Vault:
        return parts.build_vault(self.settings, new_session=self.new_session, clock=self.clock, store=self.store)

    @cached_property
    def schedule(self) -> Schedule:
        return load_schedule(self.settings.schedule_file)

    @cached_property
    def upload_limits(self) -> UploadLimits:
        return parts.upload_limits(self.settings)

    @cached_property
    def failure_limits(self) -> FailureLimits:
        return parts.failure_limits(self.settings)

    @cached_property
    def ocr_options(self) -> OcrOptions:
        return parts.ocr_options(self.settings)

    @cached_property
    def lifecycle(self) -> Lifecycle:
        """What the retention sweeps and moves need."""
        return Lifecycle(
            new_session=self.new_session,
            vault=self.vault,
            schedule=self.schedule,
            clock=self.clock,
            batch_size=self.settings.sweep_batch_size,
            require_approval=self.settings.require_destruction_approval,
            ledger=self.ledger,
            backups_kept_days=self.settings.backup_keep,
        )

    @cached_property
    def ledger(self) -> DestructionLedger:
        return parts.destruction_ledger(self.settings, store=self.store)

    @cached_property
    def celery(self) -> CasevaultCelery:
        from casevault.app.celery_app import make_celery  # Celery only in processes that use it

        return make_celery(self)

    @cached_property
    def tasks(self) -> TaskQueue:
        from casevault.app.task_queue import TaskQueue

        return TaskQueue(self.celery, self.settings)

    # --- use cases: what every edge calls -----------------------------------------------

    @cached_property
    def documents(self) -> DocumentWork:
        return DocumentWork(self)

    @cached_property
    def cases(self) -> CaseWork:
        return CaseWork(self)

    @cached_property
    def retention(self) -> LifecycleWork:
        return LifecycleWork(self)

    @cached_property
    def corrections(self) -> CorrectionWork:
        return CorrectionWork(self)

    @cached_property
    def consents(self) -> ConsentWork:
        return ConsentWork(self)

    @cached_property
    def backups(self) -> BackupWork:
        return BackupWork(self)

    @cached_property
    def statistics(self) -> StatisticsWork:
        return StatisticsWork(self)

    @cached_property
    def subject_access(self) -> SubjectAccessWork:
        return SubjectAccessWork(self)

    @cached_property
    def redactions(self) -> RedactionWork:
        return RedactionWork(self)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
