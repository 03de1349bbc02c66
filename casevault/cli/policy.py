"""``casevault policy publish FILE --version V``: a new version of the privacy notice, and
who must be told of it."""

from __future__ import annotations

from pathlib import Path

import click

from casevault.cli.context import services_with_database
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.errors import InvalidInput
from casevault.retention import notices


@click.group()
def policy() -> None:
    """The service's privacy notice and who was given it."""


@policy.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--version", "version", required=True, help="the version's name, e.g. 2026-1")
def publish(file: Path, version: str) -> None:
    """Keep FILE (UTF-8 text) as notice VERSION, and list the people of every active case
    (open or being restored), whose parents or carers officers must now tell. The list is
    kept: GET /policy/notifications?version=V shows who is still to be told."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text: save the notice as plain text", field="file") from None
    app = services_with_database()
    with transaction(app.new_session) as session:
        published = notices.publish(session, version=version, text=text, clock=app.clock, actor="cli")
        references = notices.active_references(session, published.to_tell)
        if published.new:
            audit.record(
                session,
                clock=app.clock,
                actor="cli",
                action="policy.published",
                subject_type="policy_version",
                subject_id=published.version.id,
                details={"version": version, "to_tell": len(published.to_tell)},
            )
    if not published.new:
        click.echo(f"notice {version} was already published with this text; nothing changed")
        return
    click.echo(f"notice {version} published (sha256 {published.version.sha256})")
    click.echo(f"{len(published.to_tell)} person(s) of active cases whose parents or carers must be told:")
    for person_id in published.to_tell:
        click.echo(f"  person {person_id}\t{', '.join(references.get(person_id, []))}")
    click.echo("officers record each as told with POST /api/v1/people/{id}/notices;")
    click.echo(f"who is still to be told: GET /api/v1/policy/notifications?version={version}")


COMMANDS = [policy]
