"""The `casevault` command line: set up, run, and operate the service.

Settings are read once here and handed down in a Container. Errors from the
tree end the command with their exit code and a message saying what to do.
"""

from __future__ import annotations

import logging
import os
import sys

import click
import sqlalchemy as sa
from sqlmodel import select

from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, ConfigurationError
from casevault.core.logs import configure_logging
from casevault.core.models import Role, User
from casevault.core.settings import load_settings
from casevault.core.users import create_user, revoke_user
from casevault.wiring import Container

log = logging.getLogger("casevault")


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
    ctx.obj = Container(settings)
    ctx.call_on_close(ctx.obj.close)


def container() -> Container:
    return click.get_current_context().obj


def with_database(app: Container) -> Container:
    """``app``, once its database is known to exist: a command run outside the data
    directory stops saying what to set, instead of a traceback (or SQLite quietly
    creating an empty database file)."""
    url = sa.make_url(app.settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not os.path.exists(url.database):
            raise ConfigurationError(
                f"no casevault database at {url.database}; set CASEVAULT_DATA_DIR to casevault's data directory"
                " (or CASEVAULT_DATABASE_URL to its database), or run `casevault init` to create one there"
            )
        return app
    shown = url.render_as_string(hide_password=True)
    try:
        migrated = sa.inspect(app.engine).has_table("alembic_version")
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise ConfigurationError(
            f"cannot connect to the database {shown} ({reason}); check CASEVAULT_DATABASE_URL"
        ) from None
    if not migrated:
        raise ConfigurationError(
            f"the database {shown} has no casevault tables;"
            " check CASEVAULT_DATABASE_URL, or run `casevault init` to create them"
        )
    return app


# --- set up and run ---------------------------------------------------------------------


@cli.command()
def init() -> None:
    """Create the data directory, migrate the database, prepare storage and keys,
    and on first start create an admin user (its token is printed once)."""
    from casevault.bootstrap import initialise

    token = initialise(container())
    if token:
        click.echo("Created the first admin user 'admin'. Its token, shown only this once:")
        click.echo(f"  {token}")
    click.echo(f"Data directory ready: {container().settings.data_dir}")


@cli.command()
def run() -> None:
    """Initialise if needed, then run the API, one worker and beat until Ctrl-C."""
    from casevault.bootstrap import initialise
    from casevault.supervisor import run_all

    token = initialise(container())
    if token:
        click.echo(f"Created the first admin user 'admin'. Its token, shown only this once:\n  {token}")
    settings = container().settings
    click.echo(f"casevault on http://{settings.host}:{settings.port} (data in {settings.data_dir}); Ctrl-C stops it")
    sys.exit(run_all(settings))


@cli.command()
def api() -> None:
    """Serve the HTTP API only, in CASEVAULT_API_WORKERS processes."""
    import uvicorn

    from casevault.api.app import create_app
    from casevault.api.asgi import FACTORY, fresh_metrics_dir

    settings = container().settings
    # Logging stays ours (log_config=None); uvicorn's access log is off because it
    # writes the full URL, search words included: casevault logs the route instead.
    options = {"host": settings.host, "port": settings.port, "log_level": settings.log_level.lower(), "log_config": None, "access_log": False}
    if settings.api_workers == 1:
        uvicorn.run(create_app(container()), **options)
        return
    # Set before uvicorn starts its workers, which import prometheus_client fresh.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(fresh_metrics_dir(settings.data_dir))
    uvicorn.run(FACTORY, factory=True, workers=settings.api_workers, **options)


@cli.group(invoke_without_command=True)
@click.option("--concurrency", type=int, default=2, show_default=True)
@click.option("--queues", default="lifecycle,ocr", show_default=True)
@click.pass_context
def worker(ctx: click.Context, concurrency: int, queues: str) -> None:
    """Run a Celery worker; `casevault worker ping` checks one answers."""
    if ctx.invoked_subcommand is None:
        from casevault.worker import start_worker

        start_worker(container(), concurrency=concurrency, queues=queues, loglevel=container().settings.log_level)


@worker.command("ping")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="seconds to wait for the answer")
@click.option("--name", "node", default=None, help="the worker's node name  [default: this host's worker, celery@<hostname>]")
def worker_ping(timeout: float, node: str | None) -> None:
    """Check this host's worker answers over the broker: exit 0 if so, 1 if not."""
    from casevault.worker_health import ping_worker

    answer = ping_worker(container().celery, node=node, timeout=timeout)
    click.echo(answer.message, err=not answer.ok)
    sys.exit(0 if answer.ok else 1)


@cli.command()
def beat() -> None:
    """Run the Celery beat scheduler (daily sweep, weekly checks)."""
    from casevault.worker import start_beat

    start_beat(container(), loglevel=container().settings.log_level)


# --- users ------------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """Add and revoke users."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
def user_add(username: str, role: str) -> None:
    """Add a user and print its token (shown only this once)."""
    app = with_database(container())
    with transaction(app.new_session) as session:
        created, token = create_user(session, username=username, role=Role(role), clock=app.clock)
        audit.record(session, clock=app.clock, actor="cli", action="user.create", subject_type="user", subject_id=created.id, details={"role": role})
    click.echo(token)


@user.command("revoke")
@click.argument("username")
def user_revoke(username: str) -> None:
    """Revoke a user's token; the user can no longer call the API."""
    app = with_database(container())
    with transaction(app.new_session) as session:
        revoked = revoke_user(session, username=username, clock=app.clock)
        audit.record(session, clock=app.clock, actor="cli", action="user.revoke", subject_type="user", subject_id=revoked.id)
    click.echo(f"revoked {username}")


@user.command("list")
def user_list() -> None:
    with with_database(container()).new_session() as session:
        for row in session.exec(select(User).order_by(User.id)).all():
            state = "revoked" if row.revoked_at else "active"
            click.echo(f"{row.username}\t{row.role.value}\t{state}")


# --- audit ------------------------------------------------------------------------------


@cli.group("audit")
def audit_group() -> None:
    """Check the audit log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first broken row."""
    with with_database(container()).new_session() as session:
        report = audit.verify_chain(session)
    if not report.ok:
        click.echo(f"audit chain BROKEN at row {report.first_broken_id}: {report.problem}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {report.rows} rows")


def _register_command_groups() -> None:
    from casevault.commands import COMMAND_GROUPS

    for group in COMMAND_GROUPS:
        cli.add_command(group)


def main() -> None:
    os.umask(0o077)  # every file casevault creates (database, keys, objects, logs) is private
    _register_command_groups()
    cli()
