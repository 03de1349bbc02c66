"""``casevault ocr retry`` and ``casevault import``: ingest from the command line."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import click

from casevault.cli.context import services_with_database
from casevault.core.models import ProvidedBy


@click.group()
def ocr() -> None:
    """OCR of stored documents."""


@ocr.command("retry")
@click.argument("document_id", type=int)
def retry(document_id: int) -> None:
    """Queue a failed document for OCR again (its original was kept)."""
    if services_with_database().documents.retry_ocr(document_id=document_id, actor="cli"):
        click.echo(f"document {document_id} queued for OCR")
    else:
        click.echo(
            f"document {document_id} queued; the broker is unreachable, so the worker will pick it up once it is back"
        )


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--case", "reference", required=True, help="The case reference, e.g. SEN-2026-00042.")
@click.option(
    "--correspondence-date",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date of the papers (default: each file's modification date).",
)
@click.option("--provided-by", type=click.Choice([p.value for p in ProvidedBy]), default="officer", show_default=True)
@click.option(
    "--as-user", "username", required=True, help="The manager the import is done as (it is audited under them)."
)
def import_directory(
    directory: Path, reference: str, correspondence_date: dt.datetime | None, provided_by: str, username: str
) -> None:
    """Store every scan in DIRECTORY on a case and queue it for OCR.

    Resumable: a file already stored on the case (same sha256) is skipped, so an
    interrupted import can simply be run again. Ends with what failed and why.
    """
    files, imports = services_with_database().documents.import_folder(
        directory=directory,
        reference=reference,
        username=username,
        provided_by=ProvidedBy(provided_by),
        correspondence_date=correspondence_date.date() if correspondence_date else None,
    )
    stored = skipped = pages = 0
    failed: list[tuple[str, str]] = []
    started = time.monotonic()
    with click.progressbar(imports, length=len(files), label=f"Importing {len(files)} files", show_eta=True) as bar:
        for outcome in bar:
            if outcome.accepted is None:
                failed.append((outcome.path.name, outcome.failure or "unknown"))
            elif not outcome.accepted.created:
                skipped += 1
            else:
                stored += 1
                pages += outcome.accepted.document.page_count or 0
    minutes = (time.monotonic() - started) / 60
    click.echo(
        f"stored {stored} files ({pages} pages), skipped {skipped} already stored, "
        f"{len(failed)} failed, in {minutes:.1f} min"
    )
    for name, reason in failed:
        click.echo(f"  failed: {name}: {reason}", err=True)
    if failed:
        sys.exit(1)


COMMANDS = [ocr, import_directory]
