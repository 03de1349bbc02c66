"""The services object of the running command (set by the ``casevault`` group)."""

from __future__ import annotations

import os

import click
import sqlalchemy as sa

from casevault.app.services import Services
from casevault.core.errors import ConfigurationError


def services() -> Services:
    found = click.get_current_context().find_object(Services)
    if found is None:
        raise RuntimeError("casevault commands run under the `casevault` group, which builds the services")
    return found


def services_with_database() -> Services:
    """The services, once the database is known to exist (commands that read or write it)."""
    return with_database(services())


def with_database(app: Services) -> Services:
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
