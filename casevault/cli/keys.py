"""``casevault keys rotate``: re-wrap every data key under a new key-encryption key."""

from __future__ import annotations

import click

from casevault.archive.rotation import rotate_keys
from casevault.cli.context import services_with_database


@click.group()
def keys() -> None:
    """Key-encryption keys and per-person data keys."""


@keys.command()
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Re-wrap at most this many keys in this run.")
def rotate(limit: int | None) -> None:
    """Re-wrap every data key under a new KEK (local key file: a new key is added;
    KMS: set CASEVAULT_KMS_KEY_ID to the new key first). Objects are not rewritten.
    Interrupted or limited, run it again to carry on."""
    app = services_with_database()
    report = rotate_keys(
        provider=app.key_provider,
        new_session=app.new_session,
        clock=app.clock,
        limit=limit,
    )
    if report.started_new_kek:
        click.echo(f"new key-encryption key {report.kek_id}")
    click.echo(f"re-wrapped {report.rewrapped} data keys; {report.remaining} still to do")
    if report.retired:
        click.echo(f"retired key-encryption keys: {', '.join(report.retired)}")
    if report.note:
        click.echo(report.note)
    if report.remaining:
        click.echo("run `casevault keys rotate` again to finish")


COMMANDS = [keys]
