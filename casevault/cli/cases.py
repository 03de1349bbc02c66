"""``casevault cases handover``: an officer's cases to another officer."""

from __future__ import annotations

import click

from casevault.cli.context import services_with_database


@click.group()
def cases() -> None:
    """Casework an operator does for the service."""


@cases.command("handover")
@click.option("--from", "from_username", required=True, help="The officer leaving (may be revoked already).")
@click.option("--to", "to_username", required=True, help="An active officer who takes the cases.")
def handover(from_username: str, to_username: str) -> None:
    """Give every open, closed and restoring case of one officer to another, audited per
    case. Archived cases stay: the officer of a new referral reads them anyway."""
    moved = services_with_database().corrections.handover(
        from_username=from_username, to_username=to_username, actor="cli"
    )
    click.echo(f"handed over {moved} cases from {from_username} to {to_username}")


COMMANDS = [cases]
