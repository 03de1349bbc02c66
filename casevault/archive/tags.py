"""Lifecycle tags: what a bucket's lifecycle rules and an auditor need to know about an
object, and nothing about the person it belongs to: no date, since every date the
schedule acts on is derived from a date of birth or from the case's correspondence.

S3 allows at most 10 tags per object, keys up to 128 and values up to 256 characters,
from a limited alphabet; we check before the store does, so the error says which tag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from casevault.core.errors import InvalidInput
from casevault.core.models import Tier

MAX_TAGS = 10
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256
_ALLOWED = re.compile(r"^[A-Za-z0-9 +\-=._:/@]*$")

TIER = "casevault:tier"
RETENTION_CLASS = "casevault:retention-class"
SCHEDULE_VERSION = "casevault:schedule-version"
# Retired: it held the month of the 25th birthday. Dropped whenever an object is re-tagged.
RETIRED = frozenset({"casevault:disposition-month"})


@dataclass(frozen=True)
class LifecycleTags:
    tier: Tier
    retention_class: str
    schedule_version: str
    extra: tuple[tuple[str, str], ...] = ()  # room for later tags, still within limits

    def __post_init__(self) -> None:
        object.__setattr__(self, "tier", Tier(self.tier))
        check_tags(self.as_dict())

    def as_dict(self) -> dict[str, str]:
        tags = {
            TIER: Tier(self.tier).value,
            RETENTION_CLASS: self.retention_class,
            SCHEDULE_VERSION: self.schedule_version,
        }
        for key, value in self.extra:
            if key in RETIRED:
                raise InvalidInput(f"tag {key!r} is retired: it held a date derived from the person", field="tags")
            if key in tags:
                raise InvalidInput(f"extra tag {key!r} would replace a lifecycle tag", field="tags")
            tags[key] = value
        return tags

    @classmethod
    def from_dict(cls, tags: Mapping[str, str]) -> LifecycleTags:
        known = {TIER, RETENTION_CLASS, SCHEDULE_VERSION}
        missing = known - tags.keys()
        if missing:
            raise InvalidInput(f"object lacks lifecycle tags: {', '.join(sorted(missing))}", field="tags")
        return cls(
            tier=Tier(tags[TIER]),
            retention_class=tags[RETENTION_CLASS],
            schedule_version=tags[SCHEDULE_VERSION],
            extra=tuple(sorted((k, v) for k, v in tags.items() if k not in known and k not in RETIRED)),
        )


def check_tags(tags: Mapping[str, str]) -> None:
    """Raise ``InvalidInput`` naming the first tag S3 would refuse."""
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"{len(tags)} tags given; S3 allows at most {MAX_TAGS} per object", field="tags")
    for key, value in tags.items():
        if not key or len(key) > MAX_KEY_CHARS:
            raise InvalidInput(f"tag key {key[:40]!r}... must be 1-{MAX_KEY_CHARS} characters", field="tags")
        if len(value) > MAX_VALUE_CHARS:
            raise InvalidInput(
                f"tag {key!r} has a {len(value)}-character value; S3 allows at most {MAX_VALUE_CHARS}",
                field="tags",
            )
        if not _ALLOWED.fullmatch(key) or not _ALLOWED.fullmatch(value):
            raise InvalidInput(
                f"tag {key!r} uses characters S3 refuses; use letters, digits, spaces and + - = . _ : / @",
                field="tags",
            )
