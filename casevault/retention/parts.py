"""What the lifecycle work needs, built once by the composition root."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from casevault.archive import Vault
from casevault.archive.ledger import DestructionLedger
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory
from casevault.retention.schedule import Schedule

# A claim older than this belonged to a worker that died: another sweep may take it over.
DEFAULT_LEASE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Lifecycle:
    new_session: SessionFactory
    vault: Vault
    schedule: Schedule
    clock: Clock
    batch_size: int = 200
    require_approval: bool = False
    lease: dt.timedelta = DEFAULT_LEASE
    # Where every destruction is recorded outside the database, for restores to replay.
    ledger: DestructionLedger | None = None
    backups_kept_days: int = 0  # how long backups made before a destruction may still exist
