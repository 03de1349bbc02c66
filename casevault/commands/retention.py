"""``casevault retention schedule show|validate``: read the retention schedule, or check one.

A bad schedule raises ConfigurationError, which ``casevault.cli.main`` turns into
its message on stderr and exit code 78, like every other error of the tree.
"""

from __future__ import annotations

from pathlib import Path

import click

from casevault.retention.schedule import Schedule, load_schedule


@click.group()
def retention() -> None:
    """The case lifecycle: archive, restore and destruction on schedule."""


@retention.group()
def schedule() -> None:
    """The retention schedule (versioned data, reviewed yearly)."""


@schedule.command()
def show() -> None:
    """Print the schedule in force and the rules it applies."""
    click.echo(describe(load_schedule(_configured_file())))


@schedule.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
def validate(file: Path | None) -> None:
    """Check a schedule FILE (default: the configured one) before putting it in force."""
    loaded = load_schedule(file or _configured_file())
    click.echo(f"ok: schedule {loaded.version} from {loaded.source} is valid")


def describe(loaded: Schedule) -> str:
    lines = [
        f"Retention schedule {loaded.version}, effective from {loaded.effective_from}",
        f"  policy: {loaded.policy}",
        f"  file:   {loaded.source}",
        "",
    ]
    width = max(len(rule_id) for rule_id, _ in loaded.rules())
    lines += [f"  {rule_id:<{width}}  {what}" for rule_id, what in loaded.rules()]
    return "\n".join(lines)


def _configured_file() -> Path | None:
    return click.get_current_context().obj.settings.schedule_file

