"""``casevault retention run|due|publish-schedule|schedule show|validate``: the lifecycle by hand.

``run`` is what the daily beat task does (``--dry-run`` prints exactly what it would
do and changes nothing); ``due`` is the dry run's list; ``publish-schedule`` lists the
active cases whose parents or carers must hear of a new schedule version.

A bad schedule raises ConfigurationError, which the ``casevault`` group turns into
its message on stderr and exit code 78, like every other error of the tree.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from casevault.cli.context import services, services_with_database
from casevault.core.db import transaction
from casevault.retention.publish import publish_schedule
from casevault.retention.schedule import Schedule, load_schedule
from casevault.retention.sweep import SweepReport


@click.group()
def retention() -> None:
    """The case lifecycle: archive, restore and destruction on schedule."""


@retention.command()
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="default: today")
@click.option("--dry-run", is_flag=True, help="print what would happen; change nothing")
def run(as_of: dt.datetime | None, dry_run: bool) -> None:
    """Carry out what is due (as the daily sweep does). Never a day after today."""
    report = services_with_database().retention.sweep(as_of=as_of.date() if as_of else None, dry_run=dry_run)
    click.echo(describe_report(report))


@retention.command()
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="default: today")
def due(as_of: dt.datetime | None) -> None:
    """List what the next sweep would do, held items marked (a dry run)."""
    report = services_with_database().retention.sweep(as_of=as_of.date() if as_of else None, dry_run=True)
    click.echo(describe_report(report))


@retention.command("publish-schedule")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def publish(file: Path) -> None:
    """Publish schedule FILE as the new version: list the active cases whose parents or
    carers must be told, and record the update. Then set CASEVAULT_SCHEDULE_FILE to FILE."""
    app = services_with_database()
    new = load_schedule(file)
    with transaction(app.new_session) as session:
        notices = publish_schedule(session, new=new, previous=app.schedule, clock=app.clock, actor="cli")
    click.echo(f"schedule {new.version} (effective {new.effective_from}) replaces {app.schedule.version}")
    click.echo(f"{len(notices)} active case(s) whose parents or carers must be told:")
    for notice in notices:
        click.echo(f"  {notice.case_reference}\tcase {notice.case_id}\tperson {notice.person_id}")
    click.echo(f"now put it in force: CASEVAULT_SCHEDULE_FILE={file}")


def describe_report(report: SweepReport) -> str:
    mode = "dry run: nothing was changed" if report.dry_run else "sweep"
    lines = [f"{mode}, as of {report.as_of}: {len(report.due)} item(s) due"]
    lines += [f"  unfinished: {line}" for line in report.unfinished.describe()]
    lines += [f"  {item.describe()}" for item in report.due]
    if not report.dry_run:
        lines += [f"  -> {o.item}: {o.outcome.value} ({o.why})" for o in report.outcomes]
    return "\n".join(lines)


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
    return services().settings.schedule_file


COMMANDS = [retention]
