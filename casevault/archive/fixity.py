"""Fixity: every object a row points to is there, decrypts, and matches its sha256;
every object in the store has a row. ``--repair`` removes only orphans older than a
grace period (a write in progress has its object before its row) and never an object
a row points to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import select

from casevault.archive.audit_anchor import is_audit_object
from casevault.archive.vault import Vault
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory
from casevault.core.errors import IntegrityFailure, KeyDestroyed, NotFound
from casevault.core.models import Case, Document, Person, SarBundle, StoredObject, Tier

DEFAULT_GRACE = dt.timedelta(days=7)


@dataclass(frozen=True)
class Finding:
    object_key: str
    tier: Tier
    problem: str  # missing | corrupt | key destroyed | orphan
    detail: str
    last_modified: dt.datetime | None = None  # orphans: when last written


@dataclass
class FixityReport:
    checked: int = 0
    ok: int = 0
    missing: list[Finding] = field(default_factory=list)
    corrupt: list[Finding] = field(default_factory=list)
    orphans: list[Finding] = field(default_factory=list)
    removed_orphans: int = 0
    pending_uploads_removed: int = 0

    @property
    def problems(self) -> int:
        return len(self.missing) + len(self.corrupt) + len(self.orphans) - self.removed_orphans

    def findings(self) -> list[Finding]:
        return [*self.missing, *self.corrupt, *self.orphans]


@dataclass(frozen=True)
class _Expected:
    object_key: str
    tier: Tier
    sha256: str
    subject: str


def verify_storage(
    *,
    vault: Vault,
    new_session: SessionFactory,
    clock: Clock,
    repair: bool = False,
    grace: dt.timedelta = DEFAULT_GRACE,
) -> FixityReport:
    report = FixityReport()
    _check_rows(vault, new_session=new_session, report=report)
    _find_orphans(vault, new_session=new_session, report=report)
    if repair:
        cutoff = clock.now() - grace
        _remove_old_orphans(vault, new_session=new_session, report=report, cutoff=cutoff)
        for tier in Tier:
            report.pending_uploads_removed += vault.store.abort_abandoned_uploads(tier=tier, older_than=cutoff)
    return report


def _check_rows(vault: Vault, *, new_session: SessionFactory, report: FixityReport) -> None:
    for row in _expected_objects(new_session):
        report.checked += 1
        if not vault.exists(object_key=row.object_key, tier=row.tier):
            report.missing.append(
                Finding(row.object_key, row.tier, "missing", "a row points to it; the store has no such object")
            )
            continue
        try:
            vault.verify(subject=row.subject, object_key=row.object_key, tier=row.tier, sha256=row.sha256)
        except IntegrityFailure as failure:
            report.corrupt.append(Finding(row.object_key, row.tier, "corrupt", failure.detail))
        except KeyDestroyed as failure:
            report.corrupt.append(Finding(row.object_key, row.tier, "key destroyed", failure.detail))
        except NotFound as failure:  # deleted between the two looks
            report.missing.append(Finding(row.object_key, row.tier, "missing", failure.detail))
        else:
            report.ok += 1


def _find_orphans(vault: Vault, *, new_session: SessionFactory, report: FixityReport) -> None:
    referenced = _referenced(new_session)
    for tier in Tier:
        newest: dict[str, dt.datetime] = {}
        for version in vault.store.list_versions(tier=tier):
            if (version.key, tier) in referenced or is_audit_object(version.key):
                continue
            seen = newest.get(version.key)
            newest[version.key] = max(seen, version.last_modified) if seen else version.last_modified
        for key, last_modified in sorted(newest.items()):
            report.orphans.append(
                Finding(
                    key, tier, "orphan", f"no row points to it; last written {last_modified:%Y-%m-%d}", last_modified
                )
            )


def _remove_old_orphans(
    vault: Vault, *, new_session: SessionFactory, report: FixityReport, cutoff: dt.datetime
) -> None:
    old = [f for f in report.orphans if f.last_modified is not None and f.last_modified < cutoff]
    if not old:
        return
    # Look again just before deleting: a row written since the listing wins.
    referenced = _referenced(new_session)
    for finding in old:
        if (finding.object_key, finding.tier) in referenced:
            continue
        vault.store.delete_all_versions(tier=finding.tier, keys=[finding.object_key])
        report.removed_orphans += 1


def _expected_objects(new_session: SessionFactory) -> Iterator[_Expected]:
    query = (
        select(StoredObject.object_key, StoredObject.tier, StoredObject.sha256, Person.pseudonym)
        .join(Document, Document.id == StoredObject.document_id)  # type: ignore[arg-type]  # SQLModel column attributes
        .join(Case, Case.id == Document.case_id)  # type: ignore[arg-type]  # SQLModel column attributes
        .join(Person, Person.id == Case.person_id)  # type: ignore[arg-type]  # SQLModel column attributes
        .order_by(StoredObject.id)  # type: ignore[arg-type]  # SQLModel column attributes
    )
    with new_session() as session:
        rows = session.exec(query).all()
    for object_key, tier, sha256, subject in rows:
        yield _Expected(object_key=object_key, tier=Tier(tier), sha256=sha256, subject=subject)


def _referenced(new_session: SessionFactory) -> set[tuple[str, Tier]]:
    with new_session() as session:
        rows = session.execute(sa.select(StoredObject.object_key, StoredObject.tier)).all()  # type: ignore[call-overload]  # SQLModel column attributes
        bundles = session.execute(sa.select(SarBundle.pdf_key, SarBundle.csv_key)).all()  # type: ignore[call-overload]  # SQLModel column attributes
    # A subject access bundle's PDF and CSV live in the active tier, with no StoredObject row.
    return {(key, Tier(tier)) for key, tier in rows} | {(key, Tier.active) for row in bundles for key in row if key}
