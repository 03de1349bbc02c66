"""Use cases that span packages, one place each; every edge (API, pages, CLI, tasks) calls them.

An edge parses, authorises through these (they apply the access rules), calls, and
shapes the answer. They are reached through the services object
(``services.documents.upload(...)``), so the edges import nothing of the root but
the ``Services`` type.
"""

from __future__ import annotations

from typing import Protocol

from casevault.app.task_queue import TaskQueue
from casevault.archive.vault import Vault
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory
from casevault.core.settings import Settings
from casevault.ingest.options import UploadLimits
from casevault.retention.parts import Lifecycle
from casevault.retention.schedule import Schedule


class Parts(Protocol):
    """What the use cases need of the services object (``casevault.app.services.Services``
    provides it), named here so the use cases do not import the object that holds them."""

    @property
    def clock(self) -> Clock: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def new_session(self) -> SessionFactory: ...

    @property
    def schedule(self) -> Schedule: ...

    @property
    def tasks(self) -> TaskQueue: ...

    @property
    def upload_limits(self) -> UploadLimits: ...

    @property
    def vault(self) -> Vault: ...

    @property
    def lifecycle(self) -> Lifecycle: ...
