"""The retention schedule: a versioned TOML file, loaded into a frozen ``Schedule``.

The schedule is data that managers review yearly, so loading it is strict:
unknown keys, missing keys, wrong types and impossible values stop start-up with
a message naming the key, rather than falling back to a default nobody chose.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from casevault.core.errors import ConfigurationError

# Stored with every decision and certificate (DestructionCertificate.schedule_version/rule).
MAX_VERSION_LENGTH = 32
MAX_RULE_ID_LENGTH = 64
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")

# Below 18 the schedule would destroy the records of children the service is still helping.
MIN_DESTRUCTION_AGE = 18
MAX_DESTRUCTION_AGE = 120


class ExpiryAction(str, enum.Enum):
    keep = "keep"
    destroy = "destroy"


@dataclass(frozen=True)
class ArchiveRule:
    rule_id: str
    window_months: int


@dataclass(frozen=True)
class ArchiveExpiryRule:
    rule_id: str
    action: ExpiryAction


@dataclass(frozen=True)
class DestructionRule:
    rule_id: str
    age_years: int


@dataclass(frozen=True)
class Schedule:
    version: str
    effective_from: dt.date
    policy: str
    archive: ArchiveRule
    archive_expiry: ArchiveExpiryRule
    destruction: DestructionRule
    restore_rule_id: str
    hold_rule_id: str
    # Where it was read from; not part of what the schedule says.
    source: str = field(default="", compare=False)

    def rules(self) -> list[tuple[str, str]]:
        """Each rule id with one plain sentence saying what it does."""
        expiry = {
            ExpiryAction.keep: "keep the documents in the archive",
            ExpiryAction.destroy: "destroy that case's documents",
        }[self.archive_expiry.action]
        return [
            (self.archive.rule_id, "case closed -> move its documents to the archive tier"),
            (
                self.archive.rule_id,
                f"archive_until = last correspondence (else closure) + {self.archive.window_months} months",
            ),
            (self.archive_expiry.rule_id, f"archive_until reached -> {expiry}"),
            (
                self.destruction.rule_id,
                f"birthday at age {self.destruction.age_years} -> destroy everything about the person"
                " (born 29 February: 1 March in common years)",
            ),
            (self.restore_rule_id, "new referral -> restore the person's archived cases to active"),
            (self.hold_rule_id, "any standing hold on person or case -> nothing moves or is destroyed"),
        ]


def default_schedule_path() -> Path:
    return Path(str(resources.files("casevault.retention").joinpath("schedule.toml")))


def load_schedule(path: Path | None = None) -> Schedule:
    """Read and check a schedule file; ``None`` means the schedule shipped with casevault."""
    path = path or default_schedule_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"retention schedule {path} does not exist: fix CASEVAULT_SCHEDULE_FILE,"
            " or unset it to use the schedule shipped with casevault"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"retention schedule {path} cannot be read: {exc}") from None
    return parse_schedule(text, source=str(path))


def parse_schedule(text: str, *, source: str) -> Schedule:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"retention schedule {source} is not valid TOML: {exc}") from None
    return schedule_from_mapping(data, source=source)


def schedule_from_mapping(data: Mapping[str, Any], *, source: str) -> Schedule:
    top = _Table(data, prefix="", source=source)
    archive = top.table("archive")
    expiry = top.table("archive_expiry")
    destruction = top.table("destruction")
    restore = top.table("restore")
    holds = top.table("holds")
    schedule = Schedule(
        version=top.text("version", max_length=MAX_VERSION_LENGTH),
        effective_from=top.date("effective_from"),
        policy=top.text("policy", max_length=500),
        archive=ArchiveRule(
            rule_id=archive.rule_id(),
            window_months=archive.whole_number("window_months", minimum=1, maximum=1200),
        ),
        archive_expiry=ArchiveExpiryRule(rule_id=expiry.rule_id(), action=expiry.choice("action", ExpiryAction)),
        destruction=DestructionRule(
            rule_id=destruction.rule_id(),
            age_years=destruction.whole_number(
                "age_years", minimum=MIN_DESTRUCTION_AGE, maximum=MAX_DESTRUCTION_AGE
            ),
        ),
        restore_rule_id=restore.rule_id(),
        hold_rule_id=holds.rule_id(),
        source=source,
    )
    for table in (top, archive, expiry, destruction, restore, holds):
        table.reject_unknown_keys()
    _reject_shared_rule_ids(schedule)
    return schedule


def _reject_shared_rule_ids(schedule: Schedule) -> None:
    ids = [
        schedule.archive.rule_id,
        schedule.archive_expiry.rule_id,
        schedule.destruction.rule_id,
        schedule.restore_rule_id,
        schedule.hold_rule_id,
    ]
    repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if repeated:
        raise ConfigurationError(
            f"retention schedule {schedule.source}: rule id {', '.join(repeated)} is used by more than"
            " one rule; each rule needs its own id so decisions say which rule made them"
        )


class _Table:
    """Reads one TOML table, remembering which keys were used so leftovers can be refused."""

    def __init__(self, data: Mapping[str, Any], *, prefix: str, source: str) -> None:
        self._data = data
        self._prefix = prefix
        self._source = source
        self._used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def _fail(self, message: str) -> ConfigurationError:
        return ConfigurationError(f"retention schedule {self._source}: {message}")

    def _get(self, key: str) -> Any:
        self._used.add(key)
        if key not in self._data:
            raise self._fail(f"missing key '{self._name(key)}'")
        return self._data[key]

    def table(self, key: str) -> "_Table":
        value = self._get(key)
        if not isinstance(value, Mapping):
            raise self._fail(f"'{self._name(key)}' must be a table ([{self._name(key)}])")
        return _Table(value, prefix=f"{self._name(key)}.", source=self._source)

    def text(self, key: str, *, max_length: int) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            raise self._fail(f"'{self._name(key)}' must be a non-empty string, got {value!r}")
        if len(value) > max_length:
            raise self._fail(f"'{self._name(key)}' must be at most {max_length} characters")
        return value

    def rule_id(self) -> str:
        value = self.text("rule", max_length=MAX_RULE_ID_LENGTH)
        if not _RULE_ID.match(value):
            raise self._fail(
                f"'{self._name('rule')}' must be lower-case letters, digits, '.' and '-', got {value!r}"
            )
        return value

    def whole_number(self, key: str, *, minimum: int, maximum: int) -> int:
        value = self._get(key)
        # bool is an int in Python; `window_months = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(f"'{self._name(key)}' must be a whole number, got {value!r}")
        if not minimum <= value <= maximum:
            raise self._fail(f"'{self._name(key)}' must be between {minimum} and {maximum}, got {value}")
        return value

    def choice(self, key: str, choices: type[ExpiryAction]) -> ExpiryAction:
        value = self._get(key)
        allowed = [choice.value for choice in choices]
        if value not in allowed:
            raise self._fail(f"'{self._name(key)}' must be one of {', '.join(allowed)}; got {value!r}")
        return choices(value)

    def date(self, key: str) -> dt.date:
        value = self._get(key)
        # A TOML date-time is a datetime, which is also a date: refuse it, the schedule works in days.
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self._fail(f"'{self._name(key)}' must be a date like 2026-01-01 (no quotes), got {value!r}")
        return value

    def reject_unknown_keys(self) -> None:
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            names = ", ".join(f"'{self._name(key)}'" for key in unknown)
            raise self._fail(f"unknown key {names} (a typo? the schedule has no such setting)")
