"""The services object of the running command (set by the ``casevault`` group)."""

from __future__ import annotations

import click

from casevault.app.services import Services


def services() -> Services:
    found = click.get_current_context().find_object(Services)
    if found is None:
        raise RuntimeError("casevault commands run under the `casevault` group, which builds the services")
    return found
