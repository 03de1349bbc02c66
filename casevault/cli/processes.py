"""``casevault init | run | api | worker | beat``: set up and run the service's processes."""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import TYPE_CHECKING

import click

from casevault.cli.context import services

if TYPE_CHECKING:
    from casevault.app.bootstrap import FirstAdmin

log = logging.getLogger("casevault")


def _say_first_admin(admin: FirstAdmin | None) -> None:
    if admin:
        settings = services().settings
        click.echo(f"Created the first admin user {admin.username!r}; shown only this once, keep them:")
        click.echo(f"  password (sign in at http://{settings.host}:{settings.port}/): {admin.password}")
        click.echo(f"  API token: {admin.token}")


@click.command()
def init() -> None:
    """Create the data directory, migrate the database, prepare storage and keys,
    and on first start create an admin user (its token is printed once)."""
    from casevault.app.bootstrap import initialise

    _say_first_admin(initialise(services()))
    click.echo(f"Data directory ready: {services().settings.data_dir}")


@click.command()
def run() -> None:
    """Initialise if needed, then run the API, one worker and beat until Ctrl-C."""
    from casevault.app.bootstrap import initialise
    from casevault.app.supervisor import run_all

    _say_first_admin(initialise(services()))
    settings = services().settings
    click.echo(f"casevault on http://{settings.host}:{settings.port} (data in {settings.data_dir}); Ctrl-C stops it")
    sys.exit(run_all(settings))


@click.command()
def api() -> None:
    """Serve the HTTP API only, in CASEVAULT_API_WORKERS processes."""
    import uvicorn

    from casevault.api.app import create_app
    from casevault.api.asgi import FACTORY, fresh_metrics_dir

    settings = services().settings
    # Logging stays ours (log_config=None); uvicorn's access log is off because it
    # writes the full URL, search words included: casevault logs the route instead.
    serve = functools.partial(
        uvicorn.run,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,
        access_log=False,
    )
    if settings.api_workers == 1:
        serve(create_app(services()))
        return
    # Set before uvicorn starts its workers, which import prometheus_client fresh.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(fresh_metrics_dir(settings.data_dir))
    serve(FACTORY, factory=True, workers=settings.api_workers)


@click.group(invoke_without_command=True)
@click.option("--concurrency", type=int, default=2, show_default=True)
@click.option("--queues", default="lifecycle,ocr", show_default=True)
@click.pass_context
def worker(ctx: click.Context, concurrency: int, queues: str) -> None:
    """Run a Celery worker; `casevault worker ping` checks one answers."""
    if ctx.invoked_subcommand is None:
        from casevault.app.celery_app import start_worker

        start_worker(services(), concurrency=concurrency, queues=queues, loglevel=services().settings.log_level)


@worker.command("ping")
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="seconds to wait for the answer"
)
@click.option(
    "--name", "node", default=None, help="the worker's node name  [default: this host's worker, celery@<hostname>]"
)
def worker_ping(timeout: float, node: str | None) -> None:
    """Check this host's worker answers over the broker: exit 0 if so, 1 if not."""
    from casevault.app.worker_health import ping_worker

    answer = ping_worker(services().celery, node=node, timeout=timeout)
    click.echo(answer.message, err=not answer.ok)
    sys.exit(0 if answer.ok else 1)


@click.command()
def beat() -> None:
    """Run the Celery beat scheduler (daily sweep, weekly checks)."""
    from casevault.app.celery_app import start_beat

    start_beat(services(), loglevel=services().settings.log_level)


COMMANDS = [init, run, api, worker, beat]
