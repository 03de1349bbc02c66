"""``casevault user add | revoke | token | reactivate | list | password``: people's access."""

from __future__ import annotations

import datetime as dt
import getpass
import sys

import click
from sqlmodel import select

from casevault.cli.context import services_with_database
from casevault.core import audit, web_sessions
from casevault.core.db import transaction
from casevault.core.models import Role, User
from casevault.core.users import create_user, reactivate_user, replace_token, revoke_user


@click.group()
def user() -> None:
    """Add and revoke users."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
def user_add(username: str, role: str) -> None:
    """Add a user and print its token (shown only this once)."""
    app = services_with_database()
    with transaction(app.new_session) as session:
        created, token = create_user(session, username=username, role=Role(role), clock=app.clock)
        audit.record(
            session,
            clock=app.clock,
            actor="cli",
            action="user.create",
            subject_type="user",
            subject_id=created.id,
            details={"role": role},
        )
    click.echo(token)


@user.command("revoke")
@click.argument("username")
def user_revoke(username: str) -> None:
    """Revoke a user's token; the user can no longer call the API."""
    app = services_with_database()
    with transaction(app.new_session) as session:
        revoked = revoke_user(session, username=username, clock=app.clock)
        audit.record(
            session, clock=app.clock, actor="cli", action="user.revoke", subject_type="user", subject_id=revoked.id
        )
    click.echo(f"revoked {username}")


@user.command("token")
@click.argument("username")
def user_token(username: str) -> None:
    """Give a user a new token and revoke the old one; prints it (shown only this once)."""
    app = services_with_database()
    with transaction(app.new_session) as session:
        changed, token = replace_token(session, username=username)
        audit.record(
            session, clock=app.clock, actor="cli", action="user.token", subject_type="user", subject_id=changed.id
        )
    click.echo(token)


@user.command("reactivate")
@click.argument("username")
def user_reactivate(username: str) -> None:
    """Let a revoked user back in with a new token; prints it (shown only this once)."""
    app = services_with_database()
    with transaction(app.new_session) as session:
        changed, token = reactivate_user(session, username=username)
        audit.record(
            session, clock=app.clock, actor="cli", action="user.reactivate", subject_type="user", subject_id=changed.id
        )
    click.echo(token)


def _minute(at: dt.datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}Z" if at else "-"


@user.command("list")
def user_list() -> None:
    """Every user: name, role, status (active or revoked), when created and when revoked."""
    with services_with_database().new_session() as session:
        for row in session.exec(select(User).order_by(User.id)).all():  # type: ignore[arg-type]  # SQLModel column
            state = "revoked" if row.revoked_at else "active"
            dates = f"created {_minute(row.created_at)}\trevoked {_minute(row.revoked_at)}"
            click.echo(f"{row.username}\t{row.role.value}\t{state}\t{dates}")


@user.command("password")
@click.argument("username")
def user_password(username: str) -> None:
    """Set a user's password for the web pages, read from standard input (not echoed at a
    terminal, where it is asked twice). The user's signed-in sessions end."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("The same again: ") != password:
            raise click.ClickException("the two passwords differ; nothing changed")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    app = services_with_database()
    with transaction(app.new_session) as session:
        changed = web_sessions.set_password(session, username=username, password=password)
        audit.record(
            session,
            clock=app.clock,
            actor="cli",
            action="user.password_set",
            subject_type="user",
            subject_id=changed.id,
        )
    click.echo(f"password set for {username}")


COMMANDS = [user]
