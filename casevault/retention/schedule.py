"""The retention schedule: a versioned TOML file, loaded into a frozen ``Schedule``.

The schedule is data that managers review yearly, so loading it is strict:
unknown keys, missing keys, wrong types and impossible values stop start-up with
a message naming the key, rather than falling back to a default nobody chose.
Pydantic models check the file's shape; their findings are then said in the
schedule's own terms: the key as written (``archive.window_months``) and what it
must be.
"""

from __future__ import annotations

import datetime as dt
import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic.types import Strict
from pydantic_core import ErrorDetails, PydanticCustomError

from casevault.core.errors import ConfigurationError

# Stored with every decision and certificate (DestructionCertificate.schedule_version/rule).
MAX_VERSION_LENGTH = 32
MAX_RULE_ID_LENGTH = 64

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
    # A manager's restore of one archived case (audited apart from a referral's restore).
    manager_restore_rule_id: str = "restore-by-manager"
    # Someone recorded without a date of birth (anonymous contact) cannot be destroyed at an
    # age: everything about them goes when the archive window of their last case ends.
    undated_rule_id: str = "destroy-undated-after-archive"
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
            (self.restore_rule_id, "new referral -> restore the person's archived cases to active (they stay closed)"),
            (self.manager_restore_rule_id, "a manager's restore -> one archived case back to active (it stays closed)"),
            (
                self.archive.rule_id,
                "a closed case is not archived while the person has an open case; then at the next sweep",
            ),
            (self.hold_rule_id, "any standing hold on person or case -> nothing moves or is destroyed"),
            (
                self.undated_rule_id,
                "no date of birth (anonymous contact): every case archived and the last archive window ended"
                " -> destroy everything about the person",
            ),
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
    try:
        checked = _ScheduleFile.model_validate(data)
    except ValidationError as exc:
        problems = [_explain(error) for error in exc.errors()]
        listed = problems[0] if len(problems) == 1 else "".join(f"\n  - {problem}" for problem in problems)
        raise ConfigurationError(f"retention schedule {source}: {listed}") from None
    return checked.to_schedule(source=source)


# --- the file's shape, checked by pydantic -------------------------------------------------

_TEXT = r"\S"  # at least one character that is not a space
_RULE_ID = r"^[a-z0-9][a-z0-9.-]*$"

_RuleId = Annotated[StrictStr, StringConstraints(max_length=MAX_RULE_ID_LENGTH, pattern=_RULE_ID)]
# bool is an int in Python; strict refuses `window_months = true`, a mistake rather than 1.
_WindowMonths = Annotated[StrictInt, Field(ge=1, le=1200)]
_DestructionAge = Annotated[StrictInt, Field(ge=MIN_DESTRUCTION_AGE, le=MAX_DESTRUCTION_AGE)]
# Strict: a TOML date-time (a datetime, which is also a date) or a quoted date is refused.
_Day = Annotated[dt.date, Strict()]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _RuleTable(_Table):
    rule: _RuleId


class _ArchiveTable(_RuleTable):
    window_months: _WindowMonths


class _ArchiveExpiryTable(_RuleTable):
    action: ExpiryAction


class _DestructionTable(_RuleTable):
    age_years: _DestructionAge


class _ScheduleFile(_Table):
    version: Annotated[StrictStr, StringConstraints(max_length=MAX_VERSION_LENGTH, pattern=_TEXT)]
    effective_from: _Day
    policy: Annotated[StrictStr, StringConstraints(max_length=500, pattern=_TEXT)]
    archive: _ArchiveTable
    archive_expiry: _ArchiveExpiryTable
    destruction: _DestructionTable
    restore: _RuleTable
    manual_restore: _RuleTable = _RuleTable(rule="restore-by-manager")  # optional: older files have none
    holds: _RuleTable
    undated: _RuleTable = _RuleTable(rule="destroy-undated-after-archive")  # optional: older files have none

    @model_validator(mode="after")
    def _each_rule_has_its_own_id(self) -> _ScheduleFile:
        ids = [
            self.archive.rule,
            self.archive_expiry.rule,
            self.destruction.rule,
            self.restore.rule,
            self.manual_restore.rule,
            self.holds.rule,
            self.undated.rule,
        ]
        repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if repeated:
            raise PydanticCustomError(
                "shared_rule_id",
                "rule id {repeated} is used by more than one rule; each rule needs its own id"
                " so decisions say which rule made them",
                {"repeated": ", ".join(repeated)},
            )
        return self

    def to_schedule(self, *, source: str) -> Schedule:
        return Schedule(
            version=self.version,
            effective_from=self.effective_from,
            policy=self.policy,
            archive=ArchiveRule(rule_id=self.archive.rule, window_months=self.archive.window_months),
            archive_expiry=ArchiveExpiryRule(rule_id=self.archive_expiry.rule, action=self.archive_expiry.action),
            destruction=DestructionRule(rule_id=self.destruction.rule, age_years=self.destruction.age_years),
            restore_rule_id=self.restore.rule,
            hold_rule_id=self.holds.rule,
            manager_restore_rule_id=self.manual_restore.rule,
            undated_rule_id=self.undated.rule,
            source=source,
        )


# --- pydantic's findings, said in the schedule's terms ----------------------------------------

_PATTERN_MEANS = {
    _TEXT: "a non-empty string",
    _RULE_ID: "lower-case letters, digits, '.' and '-'",
}


def _explain(error: ErrorDetails) -> str:
    """One problem, naming the key as written in the file (``archive.window_months``)
    and saying what it must be."""
    key = ".".join(str(part) for part in error["loc"])
    got = error.get("input")
    context = error.get("ctx", {})
    kind = error["type"]
    if kind == "missing":
        return f"missing key '{key}'"
    if kind == "extra_forbidden":
        return f"unknown key '{key}' (a typo? the schedule has no such setting)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"'{key}' must be a table ([{key}])"
    if kind == "int_type":
        return f"'{key}' must be a whole number, got {got!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(error["loc"])
        return f"'{key}' must be between {low} and {high}, got {got!r}"
    if kind == "string_type":
        return f"'{key}' must be a non-empty string, got {got!r}"
    if kind == "string_too_long":
        return f"'{key}' must be at most {context['max_length']} characters"
    if kind == "string_pattern_mismatch":
        return f"'{key}' must be {_PATTERN_MEANS[context['pattern']]}, got {got!r}"
    if kind == "enum":
        return f"'{key}' must be one of {_choices(error['loc'])}; got {got!r}"
    if kind == "date_type":
        return f"'{key}' must be a date like 2026-01-01 (no quotes), got {got!r}"
    return f"'{key}': {error['msg']}" if key else error["msg"]


def _field(location: tuple[int | str, ...]) -> FieldInfo:
    """The declaration of the key at ``location``, for messages that say all it allows."""
    model: type[BaseModel] = _ScheduleFile
    for part in location[:-1]:
        model = model.model_fields[str(part)].annotation  # type: ignore[assignment]  # nested tables are models
    return model.model_fields[str(location[-1])]


def _bounds(location: tuple[int | str, ...]) -> tuple[object, object]:
    metadata = _field(location).metadata  # Field(ge=..., le=...) leaves one Ge and one Le here
    low = next(item.ge for item in metadata if hasattr(item, "ge"))
    high = next(item.le for item in metadata if hasattr(item, "le"))
    return low, high


def _choices(location: tuple[int | str, ...]) -> str:
    choices: type[enum.Enum] = _field(location).annotation  # type: ignore[assignment]  # an enum-typed key
    return ", ".join(str(choice.value) for choice in choices)
