"""``casevault keys rotate``: re-wrap every data key under a new key-encryption key.
``keys export`` / ``keys import``: the key file and the audit MAC key sealed under a passphrase."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from casevault.archive.audit_keys import LocalMacKeyFile
from casevault.archive.rotation import rotate_keys
from casevault.backup.escrow import KeyFiles, export_keys, import_keys
from casevault.cli.context import services, services_with_database
from casevault.core.errors import ConfigurationError, InvalidInput


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


@keys.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path) -> None:
    """Write the key-encryption keys and the audit MAC key to FILE, sealed under a passphrase
    (asked twice without echo on a terminal; else the first line of stdin). Keep FILE offline,
    apart from the backups: with it and a backup, everything can be read."""
    export_keys(_key_files(), destination=file, passphrase=_passphrase(confirm=True))
    click.echo(f"wrote {file}: keep it offline, apart from the backups, and the passphrase apart from both")


@keys.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Put the keys sealed in FILE (from `keys export`) back where this installation keeps them."""
    written = import_keys(_key_files(), source=file, passphrase=_passphrase(confirm=False))
    for path in written:
        click.echo(f"wrote {path} (mode 0600)")
    if not written:
        click.echo("the keys were already in place")


def _key_files() -> KeyFiles:
    settings = services().settings
    if settings.key_provider == "aws-kms" or settings.key_file is None:
        raise ConfigurationError(
            "with CASEVAULT_KEY_PROVIDER=aws-kms the key-encryption key never leaves KMS: keep the KMS key from"
            " being deleted (key policy, a multi-Region replica) and keep the store's versioned copies of the"
            " object casevault-audit-mac-key instead (README, Backups)"
        )
    return KeyFiles(kek_file=settings.key_file, audit_mac_file=LocalMacKeyFile(kek_file=settings.key_file).path)


def _passphrase(*, confirm: bool) -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("no passphrase on stdin", field="passphrase")
        return line
    passphrase = getpass.getpass("passphrase: ")
    if confirm and getpass.getpass("passphrase again: ") != passphrase:
        raise InvalidInput("the two passphrases differ; nothing was written", field="passphrase")
    return passphrase


COMMANDS = [keys]
