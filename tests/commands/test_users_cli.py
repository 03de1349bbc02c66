"""`casevault user token | reactivate | list`: people's access, run as an operator would."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import select

from casevault.app.services import Services
from casevault.cli import cli
from casevault.core.errors import Unauthenticated
from casevault.core.models import AuditEvent
from casevault.core.settings import Settings
from casevault.core.users import TOKEN_PREFIX, authenticate


@pytest.fixture
def operator(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(f"CASEVAULT_{name}", str(value))
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    return runner


def _run(operator: CliRunner, *args: str) -> str:
    result = operator.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _works(container: Services, token: str) -> bool:
    with container.new_session() as session:
        try:
            authenticate(session, token=token)
        except Unauthenticated:
            return False
    return True


def test_a_new_token_replaces_the_old_one(operator: CliRunner, container: Services) -> None:
    old = _run(operator, "user", "add", "olive", "--role", "officer")
    new = _run(operator, "user", "token", "olive")
    assert new.startswith(TOKEN_PREFIX) and new != old
    assert (_works(container, old), _works(container, new)) == (False, True)
    with container.new_session() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.subject_type == "user")).all()
        assert actions[-2:] == [  # after init's admin
            "user.create",
            "user.token",
        ]


def test_a_revoked_user_is_reactivated_with_a_new_token(operator: CliRunner, container: Services) -> None:
    old = _run(operator, "user", "add", "olive", "--role", "officer")
    _run(operator, "user", "revoke", "olive")
    refused = operator.invoke(cli, ["user", "token", "olive"])
    assert refused.exit_code == 5 and "user reactivate olive" in refused.output

    new = _run(operator, "user", "reactivate", "olive")
    assert (_works(container, old), _works(container, new)) == (False, True)
    again = operator.invoke(cli, ["user", "reactivate", "olive"])
    assert again.exit_code == 5 and "is active" in again.output


def test_unknown_users_are_named(operator: CliRunner) -> None:
    for command in ("token", "reactivate"):
        result = operator.invoke(cli, ["user", command, "nobody"])
        assert result.exit_code == 4 and "no user called 'nobody'" in result.output


def test_the_list_shows_role_status_and_dates(operator: CliRunner, container: Services) -> None:
    _run(operator, "user", "add", "olive", "--role", "officer")
    _run(operator, "user", "add", "maya", "--role", "manager")
    _run(operator, "user", "revoke", "olive")
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in _run(operator, "user", "list").splitlines()}
    olive, maya = rows["olive"], rows["maya"]
    assert olive[:2] == ["officer", "revoked"] and maya[:2] == ["manager", "active"]
    assert olive[2].startswith("created 20") and olive[3].startswith("revoked 20")
    assert maya[3] == "revoked -"
