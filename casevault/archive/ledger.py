"""The destruction ledger: every destruction, kept outside the database.

A restored database comes from before some destructions; the ledger says which people
to destroy again. Each entry is its own small object (``destruction-ledger-<UTC time>-
<random>``, never overwritten) in the active tier of the store, and, where the store
lives inside the data directory (the embedded default), also a file of the same name
in a mirror directory beside the backups, so wiping the data directory keeps it.

An entry holds the pseudonym, the certificate's id and the time: no name, no date.
Entries are written before the certificate commits, so a certificate never exists
without its entry (an entry without a certificate is a destruction that is finished
on the next sweep, or a repeat of one already certified: both are replayed safely).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from casevault.archive.atomic import write_text_atomically
from casevault.archive.audit_keys import SERVICE_TAGS
from casevault.archive.store import ObjectStore
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import Tier

LEDGER_PREFIX = "destruction-ledger-"


class LedgerUnreadable(CasevaultError):
    """The ledger cannot be read whole: a restore must not go on without it."""

    exit_code = 8


def is_ledger_object(object_key: str) -> bool:
    return object_key.startswith(LEDGER_PREFIX)


@dataclass(frozen=True)
class LedgerEntry:
    subject: str  # the pseudonym
    certificate_id: int
    destroyed_at: dt.datetime
    schedule_version: str
    rule: str
    name: str  # the object (and mirror file) name
    # One case of a person who stays (a declined referral): its id and the consents that went
    # with it, so a restore from before it can destroy that case again. Ids only.
    case_id: int | None = None
    consent_ids: tuple[int, ...] = ()

    def document(self) -> str:
        fields: dict[str, object] = {
            "subject": self.subject,
            "certificate": self.certificate_id,
            "at": self.destroyed_at.isoformat(),
            "schedule": self.schedule_version,
            "rule": self.rule,
        }
        if self.case_id is not None:
            fields |= {"case": self.case_id, "consents": list(self.consent_ids)}
        return json.dumps(fields, sort_keys=True)


class DestructionLedger:
    def __init__(self, *, store: ObjectStore, mirror: Path | None) -> None:
        self.store = store
        self.mirror = mirror

    def append(
        self,
        *,
        subject: str,
        certificate_id: int,
        destroyed_at: dt.datetime,
        schedule_version: str,
        rule: str,
        case_id: int | None = None,
        consent_ids: tuple[int, ...] = (),
    ) -> LedgerEntry:
        """Write the entry everywhere it is kept; raises if any copy cannot be written."""
        stamp = destroyed_at.astimezone(dt.UTC)
        name = f"{LEDGER_PREFIX}{stamp:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
        entry = LedgerEntry(
            subject=subject,
            certificate_id=certificate_id,
            destroyed_at=stamp,
            schedule_version=schedule_version,
            rule=rule,
            name=name,
            case_id=case_id,
            consent_ids=consent_ids,
        )
        if self.mirror is not None:
            self.mirror.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_text_atomically(self.mirror / f"{name}.json", entry.document())
        with self.store.writer(tier=Tier.active, key=name, tags=SERVICE_TAGS) as sink:
            sink.write(entry.document().encode())
        return entry

    def entries(self, *, from_store: bool = True) -> list[LedgerEntry]:
        """Every entry of both copies, oldest first. Raises ``LedgerUnreadable`` saying
        what to do when a copy that should be there cannot be read."""
        found: dict[str, LedgerEntry] = {}
        if self.mirror is not None:
            found |= {entry.name: entry for entry in read_mirror(self.mirror)}
        if from_store:
            found |= {entry.name: entry for entry in read_store(self.store)}
        return sorted(found.values(), key=lambda entry: (entry.destroyed_at, entry.name))


def read_mirror(mirror: Path) -> list[LedgerEntry]:
    if not mirror.exists():
        return []
    try:
        names = sorted(path.name for path in mirror.iterdir() if path.name.startswith(LEDGER_PREFIX))
        return [_parse(name.removesuffix(".json"), (mirror / name).read_text()) for name in names]
    except OSError as error:
        raise LedgerUnreadable(
            f"the destruction ledger in {mirror} cannot be read ({error.strerror}); give this user read access to it,"
            " or copy it back from where it is kept, then run the command again"
        ) from None


def read_store(store: ObjectStore) -> list[LedgerEntry]:
    entries = []
    names = sorted(
        {v.key for v in store.list_versions(tier=Tier.active, prefix=LEDGER_PREFIX) if not v.is_delete_marker}
    )
    for name in names:
        try:
            with store.reader(tier=Tier.active, key=name) as stored:
                entries.append(_parse(name, stored.read().decode("utf-8", "replace")))
        except NotFound:  # a delete marker only
            continue
    return entries


def _parse(name: str, text: str) -> LedgerEntry:
    try:
        document = json.loads(text)
        return LedgerEntry(
            subject=str(document["subject"]),
            certificate_id=int(document["certificate"]),
            destroyed_at=dt.datetime.fromisoformat(document["at"]),
            schedule_version=str(document["schedule"]),
            rule=str(document["rule"]),
            name=name,
            case_id=int(document["case"]) if "case" in document else None,
            consent_ids=tuple(int(consent) for consent in document.get("consents", ())),
        )
    except (ValueError, KeyError, TypeError):
        raise LedgerUnreadable(
            f"destruction ledger entry {name} is damaged; restore it from a copy of the ledger (the store's"
            f" active tier and the ledger directory hold the same entries), then run the command again"
        ) from None
