"""``casevault audit verify``: check the audit log."""

from __future__ import annotations

import sys

import click

from casevault.cli.context import services
from casevault.core import audit


@click.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken row."""
    with services().new_session() as session:
        report = audit.verify_chain(session)
    if not report.ok:
        click.echo(f"audit chain BROKEN at row {report.first_broken_id}: {report.problem}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {report.rows} rows")


COMMANDS = [audit_group]
