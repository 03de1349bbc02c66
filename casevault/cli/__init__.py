"""The `casevault` command line: set up, run, and operate the service.

Settings are read once here and handed down in a ``Services`` object. Errors from
the tree end the command with their exit code and a message saying what to do.
Each command group is a module of its own; a command is a few lines over a use case.
"""

from __future__ import annotations

import os

import click

from casevault.app.services import Services
from casevault.backup.restore import MARKER, restore_pending
from casevault.core.errors import CasevaultError
from casevault.core.logs import configure_logging
from casevault.core.settings import load_settings

SERVES = {"run", "init", "api", "worker", "beat"}  # commands that start or prepare a serving process


class _Commands(click.Group):
    """Errors of the tree end a command with their message and exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CasevaultError as error:
            click.echo(f"error: {error.detail}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=_Commands)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """casevault: case documents kept searchable, encrypted, and on schedule."""
    settings = load_settings()
    configure_logging(settings)
    pending = restore_pending(settings.data_dir)
    if pending is not None and ctx.invoked_subcommand in SERVES:
        # A restore that has not replayed the destruction ledger must never be served.
        raise click.ClickException(
            f"a restore of backup {pending} into {settings.data_dir} did not finish ({settings.data_dir / MARKER}"
            " is there): the data directory may hold people destroyed since the backup. Empty it and run"
            " `casevault backup restore` again"
        )
    ctx.obj = Services(settings)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    os.umask(0o077)  # every file casevault creates (database, keys, objects, logs) is private
    cli()


# The command groups, each a module of its own (they import only the context above).
from casevault.cli import audit, backup, cases, ingest, keys, policy, processes, retention, storage, users  # noqa: E402

for _module in (processes, users, cases, audit, ingest, keys, retention, storage, backup, policy):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
