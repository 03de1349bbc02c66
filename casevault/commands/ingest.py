"""``casevault ocr retry`` and ``casevault import``: ingest from the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
from pathlib import Path

import click
from sqlmodel import select

from casevault.cli import with_database
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import Case, Document, ProvidedBy, Role, Tier, User
from casevault.ingest import UploadLimits, service
from casevault.ingest.tasks import enqueue_ocr
from casevault.retention.tagging import lifecycle_tags
from casevault.wiring import Container

IMPORTABLE = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}


def _container() -> Container:
    return with_database(click.get_current_context().obj)


@click.group()
def ocr() -> None:
    """OCR of stored documents."""


@ocr.command("retry")
@click.argument("document_id", type=int)
def retry(document_id: int) -> None:
    """Queue a failed document for OCR again (its original was kept)."""
    app = _container()
    with transaction(app.new_session) as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"no document with id {document_id}")
        service.requeue(session, document=document, clock=app.clock)
        audit.record(session, clock=app.clock, actor="cli", action="document.requeue", subject_type="document", subject_id=document_id)
    if enqueue_ocr(app.celery, document_id):
        click.echo(f"document {document_id} queued for OCR")
    else:
        click.echo(f"document {document_id} queued; the broker is unreachable, so the worker will pick it up once it is back")


@dataclasses.dataclass
class _Tally:
    stored: int = 0
    skipped: int = 0
    pages: int = 0
    failed: list[tuple[str, str]] = dataclasses.field(default_factory=list)


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--case", "reference", required=True, help="The case reference, e.g. SEN-2026-00042.")
@click.option("--correspondence-date", type=click.DateTime(["%Y-%m-%d"]), help="Date of the papers (default: each file's modification date).")
@click.option("--provided-by", type=click.Choice([p.value for p in ProvidedBy]), default="officer", show_default=True)
@click.option("--as-user", "username", required=True, help="The manager the import is done as (it is audited under them).")
def import_directory(
    directory: Path, reference: str, correspondence_date: dt.datetime | None, provided_by: str, username: str
) -> None:
    """Store every scan in DIRECTORY on a case and queue it for OCR.

    Resumable: a file already stored on the case (same sha256) is skipped, so an
    interrupted import can simply be run again. Ends with what failed and why.
    """
    app = _container()
    with app.new_session() as session:
        case = session.exec(select(Case).where(Case.reference == reference)).first()
        user = session.exec(select(User).where(User.username == username, User.revoked_at.is_(None))).first()  # type: ignore[union-attr]
    if case is None:
        raise NotFound(f"no case with reference {reference}")
    if user is None or user.role != Role.manager:
        raise NotFound(f"no active manager called {username!r}; imports are done as a manager (--as-user)")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in IMPORTABLE)
    tally, started = _Tally(), time.monotonic()
    with click.progressbar(files, label=f"Importing {len(files)} files", item_show_func=lambda p: None, show_eta=True) as bar:
        for path in bar:
            _import_one(app, path=path, case=case, user=user, tally=tally, provided_by=ProvidedBy(provided_by),
                        correspondence=(correspondence_date.date() if correspondence_date else None))
    minutes = (time.monotonic() - started) / 60
    click.echo(f"stored {tally.stored} files ({tally.pages} pages), skipped {tally.skipped} already stored, "
               f"{len(tally.failed)} failed, in {minutes:.1f} min")
    for name, reason in tally.failed:
        click.echo(f"  failed: {name}: {reason}", err=True)
    if tally.failed:
        sys.exit(1)


def _import_one(
    app: Container, *, path: Path, case: Case, user: User, tally: _Tally, provided_by: ProvidedBy, correspondence: dt.date | None
) -> None:
    on = correspondence or dt.date.fromtimestamp(path.stat().st_mtime)
    scratch = app.settings.data_dir / "tmp"
    scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        accepted = service.accept(
            new_session=app.new_session, vault=app.vault, case_id=case.id, user=user, upload=path, filename=path.name,  # type: ignore[arg-type]
            correspondence_date=min(on, app.clock.today()), provided_by=provided_by, limits=UploadLimits.from_settings(app.settings),
            tags_for=lambda born: lifecycle_tags(tier=Tier.active, date_of_birth=born, schedule=app.schedule),
            workdir=scratch, clock=app.clock,
        )
    except CasevaultError as error:
        tally.failed.append((path.name, error.detail))
        return
    if not accepted.created:
        tally.skipped += 1
        return
    tally.stored += 1
    tally.pages += accepted.document.page_count or 0
    enqueue_ocr(app.celery, accepted.document.id)
