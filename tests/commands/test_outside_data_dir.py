"""`casevault` run where there is no database: one line saying what to set, no
traceback, a non-zero exit, and nothing created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.local_servers import fresh_postgres_database

DATABASE_COMMANDS = [
    ["audit", "verify"],
    ["retention", "due"],
    ["user", "list"],
    ["storage", "verify"],
    ["keys", "rotate"],
    ["ocr", "retry", "1"],
]


def _casevault(*args: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEVAULT_")}
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "casevault", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _says_what_to_set(result: subprocess.CompletedProcess[str], *variables: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for variable in variables:
        assert variable in lines[0], lines[0]


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_a_command_outside_the_data_directory_says_which_variable_to_set(tmp_path: Path, command: list[str]) -> None:
    result = _casevault(*command, cwd=tmp_path)
    _says_what_to_set(result, "CASEVAULT_DATA_DIR", "CASEVAULT_DATABASE_URL", "casevault init")
    assert list(tmp_path.iterdir()) == []  # no empty database left behind


def test_a_data_directory_without_a_database_is_named(tmp_path: Path) -> None:
    result = _casevault("audit", "verify", cwd=tmp_path, CASEVAULT_DATA_DIR=str(tmp_path / "var"))
    _says_what_to_set(result, "CASEVAULT_DATA_DIR", "casevault init", str(tmp_path / "var" / "casevault.db"))


def test_commands_that_need_no_database_still_run(tmp_path: Path) -> None:
    result = _casevault("retention", "schedule", "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_an_empty_postgresql_database_is_named(tmp_path: Path) -> None:
    with fresh_postgres_database("casevault_empty") as url:
        result = _casevault("user", "list", cwd=tmp_path, CASEVAULT_DATABASE_URL=url)
        _says_what_to_set(result, "CASEVAULT_DATABASE_URL", "casevault init", "no casevault tables")
        parsed = sa.make_url(url)
        unreachable = parsed.set(database=f"{parsed.database}_missing").render_as_string(hide_password=False)
        result = _casevault("user", "list", cwd=tmp_path, CASEVAULT_DATABASE_URL=unreachable)
        _says_what_to_set(result, "CASEVAULT_DATABASE_URL", "cannot connect")
