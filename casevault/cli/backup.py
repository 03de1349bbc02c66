"""``casevault backup create|list|verify|restore|replay-destructions``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from casevault.backup.replay import ReplayReport
from casevault.cli.context import services, services_with_database


@click.group()
def backup() -> None:
    """Backups of the embedded default, restores, and replaying destructions after any restore."""


@backup.command()
@click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
def create(dest: Path | None) -> None:
    """Back up the database, every stored object and the settings that matter into one
    encrypted file in DEST (default: CASEVAULT_BACKUP_DIR). The service keeps serving."""
    app = services_with_database()
    with click.progressbar(length=app.backups.expected_bytes(), label="backing up", file=sys.stderr) as bar:
        made = app.backups.create(destination=dest, progress=bar.update)
    click.echo(f"backup {made.header.backup_id}: {made.path} ({made.size} bytes)")


@backup.command("list")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def list_command(directory: Path | None) -> None:
    """The backups in DIRECTORY (default: CASEVAULT_BACKUP_DIR), oldest first."""
    found = services().backups.list(directory)
    for made in found:
        click.echo(
            f"{made.header.created_at:%Y-%m-%d %H:%M:%S} UTC  {made.header.backup_id}  {made.size:>14}  {made.path}"
        )
    if not found:
        click.echo("no backups")


@backup.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(path: Path) -> None:
    """Decrypt every part of the backup at PATH and check it against the manifest; exit 6 if any does not match."""
    with click.progressbar(length=path.stat().st_size, label="verifying", file=sys.stderr) as bar:
        contents = services().backups.verify(path, progress=bar.update)
    counts = contents.counts
    click.echo(
        f"backup {contents.header.backup_id} of {contents.header.created_at:%Y-%m-%d %H:%M:%S} UTC verifies:"
        f" {contents.parts} parts, {counts.get('document', 0)} documents,"
        f" {counts.get('objects_active', 0) + counts.get('objects_archive', 0)} objects"
    )


@backup.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(src: Path) -> None:
    """Restore the backup at SRC into an empty data directory, then, before anything
    serves: replay every destruction of the ledger newer than the backup, remove orphans,
    and verify the audit log. Import the keys first (`casevault keys import FILE`)."""
    app = services()
    with click.progressbar(length=2 * src.stat().st_size, label="restoring", file=sys.stderr) as bar:
        report = app.backups.restore(src, progress=bar.update)
    header = report.backup.header
    counts = report.backup.counts
    click.echo(
        f"restored backup {header.backup_id} of {header.created_at:%Y-%m-%d %H:%M:%S} UTC:"
        f" {counts.get('document', 0)} documents, {counts.get('person', 0)} people,"
        f" {counts.get('objects_active', 0) + counts.get('objects_archive', 0)} objects"
    )
    click.echo(
        f"not in the backup (after {header.created_at:%Y-%m-%d %H:%M:%S} UTC): everything done since; "
        f"{report.ledger_after_backup} destructions since were replayed from the ledger"
    )
    _say_replay(report.replay, report.anchors_retired, report.storage.removed_orphans)
    click.echo(f"audit chain intact: {report.audit_rows} rows. The service may start.")


@backup.command("replay-destructions")
def replay_destructions() -> None:
    """After restoring the database any other way (pg_dump, PITR, a copied file): destroy
    again everyone the destruction ledger says was destroyed, and remove orphans. Run it
    before the service starts on the restored database."""
    report = services_with_database().backups.replay_destructions()
    _say_replay(report.replay, report.anchors_retired, report.storage.removed_orphans if report.storage else 0)


def _say_replay(replay: ReplayReport, anchors_retired: list[str], orphans_removed: int) -> None:
    click.echo(
        f"destruction ledger: {replay.entries} entries; {len(replay.replayed)} people or declined cases destroyed again"
        f" (certificates marked as replays), {len(replay.keys_shredded)} keys shredded,"
        f" {replay.already_certified} already destroyed in this database,"
        f" {len(replay.not_in_database)} never in it"
    )
    if replay.unfinished:
        click.echo(f"NOT finished: {', '.join(replay.unfinished)}; run `casevault backup replay-destructions` again")
        sys.exit(1)
    click.echo(
        f"removed {orphans_removed} objects stored after the backup (no row points to them)"
        f" and {len(anchors_retired)} audit anchors of the log after the backup"
    )


COMMANDS = [backup]
