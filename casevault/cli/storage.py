"""``casevault storage init|verify``: thin over casevault.archive's services.

Errors of the tree propagate to the CLI's top-level handler (message and exit code);
``verify`` itself exits 1 when it finds problems, so a cron job or CI can tell.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from casevault.app.parts import init_storage
from casevault.archive.fixity import DEFAULT_GRACE, FixityReport, verify_storage
from casevault.cli.context import services, services_with_database
from casevault.core import scratch

# No live upload or OCR keeps its scratch this long: older entries were left by a process killed mid-work.
SCRATCH_STALE_AFTER = dt.timedelta(hours=1)


@click.group()
def storage() -> None:
    """Encrypted object storage: set it up, check every object."""


@storage.command()
def init() -> None:
    """Create the key file, directories or buckets (versioning, lifecycle rules) and
    check the credentials can do everything casevault needs. Safe to run again."""
    report = init_storage(services().settings)
    for change in report.changes:
        click.echo(f"changed: {change}")
    if not report.changes:
        click.echo("nothing to change: storage was already set up")
    for check in report.checks:
        click.echo(f"ok: {check}")
    for note in report.notes:
        click.echo(f"note: {note}")


@storage.command()
@click.option(
    "--repair",
    is_flag=True,
    help="Remove orphan objects older than the grace period (never one a row points to),"
    " and scratch left by dead processes of this host.",
)
@click.option(
    "--grace-days",
    type=click.IntRange(min=0),
    default=DEFAULT_GRACE.days,
    show_default=True,
    help="Orphans younger than this may be writes in progress and are kept.",
)
def verify(repair: bool, grace_days: int) -> None:
    """Read and decrypt every stored object, check its sha256, and find orphans; report
    scratch (plaintext) left under the data directory by a process killed mid-work."""
    app = services_with_database()
    report = verify_storage(
        vault=app.vault,
        new_session=app.new_session,
        clock=app.clock,
        repair=repair,
        grace=dt.timedelta(days=grace_days),
    )
    click.echo(summary(report))
    base = app.settings.data_dir / "tmp"
    if repair:
        scratch.remove_stale(base)
    left = scratch.stale(base, older_than=SCRATCH_STALE_AFTER)
    if left:
        # Decrypted pages may lie there, outside the encrypted store: a finding, not a note.
        click.echo(
            f"scratch: {len(left)} entries older than an hour under {base}; a process was killed mid-work:"
            " they are removed at the next start (or by --repair on this host once their process is gone)"
        )
    if report.problems or left:
        sys.exit(1)


@storage.command()
def retag() -> None:
    """Rewrite every object's lifecycle tags to what casevault writes today (tier, retention
    class, schedule version): removes tags older versions wrote. Safe to run again."""
    from casevault.retention.tagging import retag_all

    app = services_with_database()
    report = retag_all(new_session=app.new_session, vault=app.vault, schedule=app.schedule)
    click.echo(f"retagged {report.retagged} objects; {report.skipped} moved or gone meanwhile")


def summary(report: FixityReport) -> str:
    lines = [
        f"checked {report.checked} objects: {report.ok} ok, {len(report.missing)} missing, "
        f"{len(report.corrupt)} corrupt or unreadable, {len(report.orphans)} orphans"
    ]
    lines += [f"  {f.problem}: {f.tier.value}/{f.object_key}: {f.detail}" for f in report.findings()]
    if report.removed_orphans or report.pending_uploads_removed:
        lines.append(
            f"repaired: removed {report.removed_orphans} orphans and {report.pending_uploads_removed} abandoned uploads"
        )
    return "\n".join(lines)


COMMANDS = [storage]
