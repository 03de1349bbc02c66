"""The schedule file: the shipped default says what the policy says, and a bad file is refused by name."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from casevault.app.services import Services
from casevault.cli.retention import retention
from casevault.core.errors import ConfigurationError
from casevault.core.settings import load_settings
from casevault.retention.schedule import (
    ExpiryAction,
    default_schedule_path,
    load_schedule,
    parse_schedule,
    schedule_from_mapping,
)

SHIPPED_TEXT = default_schedule_path().read_text(encoding="utf-8")


def shipped_data() -> dict[str, Any]:
    return copy.deepcopy(tomllib.loads(SHIPPED_TEXT))


def test_shipped_schedule_follows_the_policy() -> None:
    schedule = load_schedule(None)
    assert schedule.version == "2026.1"
    assert schedule.effective_from == dt.date(2026, 1, 1)
    assert schedule.archive.window_months == 12  # "archive for 12 months after ... the last correspondence"
    assert schedule.archive_expiry.action is ExpiryAction.keep  # the design's default; destroy is the option
    assert schedule.destruction.age_years == 25  # "until the young person's 25th birthday"
    rule_ids = [
        schedule.archive.rule_id,
        schedule.archive_expiry.rule_id,
        schedule.destruction.rule_id,
        schedule.restore_rule_id,
        schedule.hold_rule_id,
    ]
    assert len(set(rule_ids)) == 5


def test_a_schedule_file_can_be_loaded_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(SHIPPED_TEXT.replace('action = "keep"', 'action = "destroy"'), encoding="utf-8")
    schedule = load_schedule(path)
    assert schedule.archive_expiry.action is ExpiryAction.destroy
    assert schedule.source == str(path)
    # Where it came from is not part of what it says.
    assert schedule == dataclasses.replace(load_schedule(None), archive_expiry=schedule.archive_expiry)


def _delete(table: str | None, key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del (data[table] if table else data)[key]

    return change


def _set(table: str | None, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        (data[table] if table else data)[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(_delete(None, "version"), "missing key 'version'", id="missing-version"),
        pytest.param(_delete("archive", "window_months"), "missing key 'archive.window_months'", id="missing-window"),
        pytest.param(_delete(None, "destruction"), "missing key 'destruction'", id="missing-table"),
        pytest.param(_delete("holds", "rule"), "missing key 'holds.rule'", id="missing-rule-id"),
        pytest.param(
            _set("archive_expiry", "action", "shred"),
            "'archive_expiry.action' must be one of keep, destroy; got 'shred'",
            id="unknown-expiry-action",
        ),
        pytest.param(
            _set("archive", "window_months", -12),
            "'archive.window_months' must be between 1 and 1200, got -12",
            id="negative-months",
        ),
        pytest.param(_set("archive", "window_months", 0), "'archive.window_months' must be between", id="zero-months"),
        pytest.param(
            _set("archive", "window_months", "12"),
            "'archive.window_months' must be a whole number",
            id="months-as-text",
        ),
        pytest.param(
            _set("archive", "window_months", True),
            "'archive.window_months' must be a whole number",
            id="months-as-bool",
        ),
        pytest.param(
            _set("destruction", "age_years", 2),
            "'destruction.age_years' must be between 18 and 120, got 2",
            id="destruction-age-of-a-child",
        ),
        pytest.param(
            _set("archive", "windw_months", 12), "unknown key 'archive.windw_months'", id="typo-is-an-unknown-key"
        ),
        pytest.param(_set(None, "version", ""), "'version' must be a non-empty string", id="empty-version"),
        pytest.param(_set(None, "version", "v" * 33), "'version' must be at most 32 characters", id="long-version"),
        pytest.param(
            _set(None, "effective_from", "2026-01-01"),
            "'effective_from' must be a date like 2026-01-01",
            id="date-in-quotes",
        ),
        pytest.param(
            _set(None, "effective_from", dt.datetime(2026, 1, 1, 9, 0)),
            "'effective_from' must be a date",
            id="date-time-not-date",
        ),
        pytest.param(
            _set("restore", "rule", "Restore On Referral"),
            "'restore.rule' must be lower-case letters",
            id="rule-id-with-spaces",
        ),
        pytest.param(
            _set("restore", "rule", "archive-on-closure"),
            "rule id archive-on-closure is used by more than one rule",
            id="shared-rule-id",
        ),
        pytest.param(_set(None, "archive", 12), "'archive' must be a table", id="table-as-number"),
        pytest.param(_set(None, "archive", [{"rule": "x"}]), "'archive' must be a table", id="array-of-tables"),
        pytest.param(_set(None, "version", "   "), "'version' must be a non-empty string", id="blank-version"),
        pytest.param(
            _set(None, "version", 2026.1), "'version' must be a non-empty string, got 2026.1", id="number-version"
        ),
        pytest.param(_set(None, "policy", ""), "'policy' must be a non-empty string", id="empty-policy"),
        pytest.param(
            _set(None, "effective_from", dt.datetime(2026, 1, 1)),
            "'effective_from' must be a date",
            id="midnight-date-time-not-date",
        ),
        pytest.param(
            _set("archive", "window_months", 12.0),
            "'archive.window_months' must be a whole number",
            id="months-decimal",
        ),
        pytest.param(
            _set("destruction", "age_years", 121),
            "'destruction.age_years' must be between 18 and 120, got 121",
            id="destruction-age-too-high",
        ),
        pytest.param(_set("holds", "rule", "h" * 65), "'holds.rule' must be at most 64 characters", id="long-rule-id"),
        pytest.param(
            _set("restore", "rule", "restore-on-referral\n"),
            "'restore.rule' must be lower-case letters",
            id="rule-id-with-trailing-newline",
        ),
        pytest.param(
            _set("archive_expiry", "action", 1),
            "'archive_expiry.action' must be one of keep, destroy; got 1",
            id="expiry-action-as-number",
        ),
        pytest.param(_set("holds", "note", "x"), "unknown key 'holds.note'", id="unknown-key-in-rule-table"),
        pytest.param(_set(None, "notes", "x"), "unknown key 'notes'", id="unknown-top-level-key"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_key(change: Callable[[dict[str, Any]], None], message: str) -> None:
    data = shipped_data()
    change(data)
    with pytest.raises(ConfigurationError) as caught:
        schedule_from_mapping(data, source="edited.toml")
    assert message in caught.value.detail
    assert "edited.toml" in caught.value.detail


def test_every_problem_in_a_schedule_is_named_at_once() -> None:
    data = shipped_data()
    del data["version"]
    data["archive"]["window_months"] = 0
    data["destruction"]["age_years"] = 16
    with pytest.raises(ConfigurationError) as caught:
        schedule_from_mapping(data, source="edited.toml")
    for message in (
        "missing key 'version'",
        "'archive.window_months' must be between 1 and 1200, got 0",
        "'destruction.age_years' must be between 18 and 120, got 16",
    ):
        assert message in caught.value.detail


def test_invalid_toml_is_refused_with_the_parser_position() -> None:
    with pytest.raises(ConfigurationError, match=r"broken.toml is not valid TOML: .*line 2"):
        parse_schedule('version = "2026.1"\nwindow_months = = 12\n', source="broken.toml")


def test_a_missing_schedule_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CASEVAULT_SCHEDULE_FILE"):
        load_schedule(tmp_path / "nowhere.toml")


# --- the command line ----------------------------------------------------------------------


def _run(tmp_path: Path, args: list[str], *, schedule_file: Path | None = None) -> click.testing.Result:
    container = Services(load_settings(data_dir=tmp_path, schedule_file=schedule_file))
    return CliRunner().invoke(retention, args, obj=container)


def test_show_prints_the_version_and_every_rule(tmp_path: Path) -> None:
    result = _run(tmp_path, ["schedule", "show"])
    assert result.exit_code == 0, result.output
    assert "Retention schedule 2026.1, effective from 2026-01-01" in result.output
    for expected in (
        "archive-on-closure",
        "+ 12 months",
        "keep the documents in the archive",
        "birthday at age 25",
        "1 March in common years",
        "restore-on-referral",
        "hold-stops-everything",
    ):
        assert expected in result.output


def test_show_uses_the_configured_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(SHIPPED_TEXT.replace('version = "2026.1"', 'version = "2027.1"'), encoding="utf-8")
    result = _run(tmp_path, ["schedule", "show"], schedule_file=path)
    assert result.exit_code == 0, result.output
    assert "Retention schedule 2027.1" in result.output


def test_validate_accepts_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(SHIPPED_TEXT, encoding="utf-8")
    result = _run(tmp_path, ["schedule", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok: schedule 2026.1" in result.output


def test_validate_checks_the_shipped_schedule_by_default(tmp_path: Path) -> None:
    result = _run(tmp_path, ["schedule", "validate"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["validate", "{path}"], ["show"]], ids=["validate", "show"])
def test_a_bad_schedule_fails_the_command_with_the_message(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SHIPPED_TEXT.replace("window_months = 12", "window_months = -1"), encoding="utf-8")
    args = ["schedule", *(part.format(path=path) for part in command)]
    result = _run(tmp_path, args, schedule_file=path)
    assert result.exit_code != 0
    # The CLI's edge (casevault.cli.main) prints the message and exits with the error's code.
    assert isinstance(result.exception, ConfigurationError)
    assert "'archive.window_months' must be between 1 and 1200, got -1" in result.exception.detail
    assert "ok:" not in result.output
