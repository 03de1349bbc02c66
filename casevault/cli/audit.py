"""``casevault audit verify``: check the audit log."""

from __future__ import annotations

import sys

import click

from casevault.archive.audit_anchor import verify_audit_trail
from casevault.cli.context import services_with_database


@click.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the keyed chain and hold it to every anchor in the store; exit 1 naming what is broken."""
    app = services_with_database()
    report = verify_audit_trail(store=app.vault.store, new_session=app.new_session)
    if not report.ok:
        click.echo(f"audit chain BROKEN at row {report.first_broken_id}: {report.problem}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {report.rows} rows, held to {report.anchors} anchors")


COMMANDS = [audit_group]
