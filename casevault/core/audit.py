"""The append-only audit log, a keyed hash chain with anchors outside the database.

Each row carries the hash of the row before it, so changing, removing or
reordering a row breaks every hash after it. From row ``audit_head.mac_from``
on, a row's hash is an HMAC-SHA256 under a key that lives beside the
key-encryption key, never in the database: whoever can write the database
cannot recompute the chain after cutting rows out of it. Rows written before
the log became keyed keep their plain SHA-256 and verify as they always did;
they are not re-sealed, since re-sealing would bless any tampering done before.

The head (last row id and hash) is copied outside the database from time to
time (``ChainAnchor``, written by the composition root to the object store);
``verify_chain`` compares the chain with every anchor, so cutting the tail back
past an anchor, or a range out of the middle, is caught and named.

The MAC key reaches ``record`` through the session (``session.info``), put
there by the composition root's session factory, so every writer uses it
without knowing where it lives.

Details hold ids only: values must be numbers, booleans or short tokens
without spaces, so a name or a sentence of text cannot slip in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import ConfigurationError
from casevault.core.models import AuditEvent, AuditHead, User

GENESIS_HASH = "0" * 64
MAC_KEY_INFO = "casevault.audit_mac_key"  # session.info: a callable returning the MAC key
_TOKEN = re.compile(r"^[A-Za-z0-9_.:/{}\-]{0,96}$")

DetailValue = int | float | bool | str | None
MacKeySource = Callable[[], bytes]


def mac_key_id(key: bytes) -> str:
    """A fingerprint naming the key without revealing it (kept in the database and anchors)."""
    return hmac.new(key, b"casevault/audit-mac-key-id/v1", hashlib.sha256).hexdigest()[:16]


def session_mac_key(session: Session) -> bytes:
    source = session.info.get(MAC_KEY_INFO)
    if source is None:
        raise ConfigurationError(
            "this database session carries no audit MAC key; open sessions with the composition root's "
            "session factory (Services.new_session)"
        )
    key: bytes = source() if callable(source) else source
    return key


def actor_of(user: User) -> str:
    """How the audit log names a user acting: by id, never by name."""
    return f"user:{user.id}"


def record(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    action: str,
    outcome: str = "ok",
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    key = session_mac_key(session)  # before the lock: a missing key fails fast
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    event_id = head.last_id + 1
    event = AuditEvent(
        id=event_id,
        at=clock.now(),
        actor=actor,
        action=action,
        outcome=outcome,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=_canonical_details(details or {}),
        prev_hash=head.last_hash,
        hash="",
    )
    _use_key(head, key, first_keyed_id=event_id)
    event.hash = event_mac(event, key)
    head.last_id, head.last_hash = event_id, event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


def _use_key(head: AuditHead, key: bytes, *, first_keyed_id: int) -> None:
    """Turn the chain keyed at this row if it is not yet; refuse a key other than its own."""
    if head.mac_from is None:
        head.mac_from = first_keyed_id
    if head.mac_key_id is None:
        head.mac_key_id = mac_key_id(key)
    elif head.mac_key_id != mac_key_id(key):
        raise ConfigurationError(
            f"the audit MAC key in use (id {mac_key_id(key)}) is not the one the audit log is sealed with "
            f"(id {head.mac_key_id}); restore the audit MAC key from backup (it is kept beside the key-encryption key)"
        )


def _canonical_details(details: Mapping[str, DetailValue]) -> str:
    for key, value in details.items():
        if isinstance(value, str) and not _TOKEN.match(value):
            raise ValueError(f"audit detail {key!r} is not an id-like token; audit details hold ids only")
        if not isinstance(value, (int, float, bool, str, type(None))):
            raise ValueError(f"audit detail {key!r} has type {type(value).__name__}; use ids")
    return json.dumps(dict(details), sort_keys=True, separators=(",", ":"))


def _canonical_body(event: AuditEvent) -> bytes:
    body = {
        "id": event.id,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def event_hash(event: AuditEvent) -> str:
    """The unkeyed hash of rows written before the log became keyed."""
    return hashlib.sha256(_canonical_body(event)).hexdigest()


def event_mac(event: AuditEvent, key: bytes) -> str:
    return hmac.new(key, b"casevault/audit-row/v1|" + _canonical_body(event), hashlib.sha256).hexdigest()


# --- anchors: the head, copied outside the database ----------------------------------


@dataclasses.dataclass(frozen=True)
class ChainAnchor:
    """What an anchor recorded: the chain's last row and its hash at ``at``."""

    at: dt.datetime
    row_id: int
    mac: str
    mac_from: int | None
    key_id: str | None
    name: str = ""  # where it is kept (an object key), for messages

    def body(self) -> bytes:
        fields = {"at": _anchor_time(self.at), "row_id": self.row_id, "mac": self.mac,
                  "mac_from": self.mac_from, "key_id": self.key_id}  # fmt: skip
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def seal(self, key: bytes) -> str:
        """Anchors are sealed too, so a forged one cannot excuse a cut chain."""
        return hmac.new(key, b"casevault/audit-anchor/v1|" + self.body(), hashlib.sha256).hexdigest()

    def label(self) -> str:
        return f"anchor of {_anchor_time(self.at)}"


def current_anchor(session: Session, *, clock: Clock) -> ChainAnchor:
    """The chain's head now, ready to be kept outside the database."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    return ChainAnchor(
        at=clock.now(), row_id=head.last_id, mac=head.last_hash, mac_from=head.mac_from, key_id=head.mac_key_id
    )


def _anchor_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


# --- verification -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChainReport:
    rows: int
    first_broken_id: int | None = None
    problem: str | None = None
    anchors: int = 0  # how many anchors the chain was compared with

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(
    session: Session, *, mac_key: bytes, anchors: Sequence[ChainAnchor] = (), batch_size: int = 5000
) -> ChainReport:
    """Walk the chain from the start; name the first row that does not fit, then hold
    the chain against every anchor kept outside the database."""
    head = session.get(AuditHead, 1)
    if head is None:
        return ChainReport(0, 1, "the audit head row is missing")
    key_problem = _key_problem(head, mac_key)
    if key_problem:
        return ChainReport(0, head.mac_from, key_problem)
    anchors = sorted(anchors, key=lambda a: (a.row_id, a.at))
    forged = [a for a in anchors if a.key_id is not None and a.key_id != mac_key_id(mac_key)]
    if forged:
        first = forged[0]
        return ChainReport(0, None, f"{first.label()} ({first.name}) names another MAC key ({first.key_id})")
    moved = [a for a in anchors if a.mac_from is not None and a.mac_from != head.mac_from]
    if moved:
        return ChainReport(
            0, moved[0].mac_from,
            f"the log's keyed part starts at row {head.mac_from}, but the {moved[0].label()} recorded "
            f"row {moved[0].mac_from}: the database was changed to pass rows off as written before the key",
            len(anchors),
        )  # fmt: skip
    # The head's row is pinned like an anchor's. Rows another process appends while this walks
    # (PostgreSQL shows them to a running transaction) are walked and checked too: the head
    # read before them must then still be a row of the chain, not its end.
    pinned = {a.row_id for a in anchors} | {head.last_id}
    walk = _walk(session, head=head, mac_key=mac_key, anchored=pinned, batch_size=batch_size)
    if walk.break_at is not None and walk.gap_end is None:
        return ChainReport(walk.rows, walk.break_at, walk.problem, len(anchors))
    anchor_report = _against_anchors(walk, anchors=anchors)
    if anchor_report is not None:
        return anchor_report
    if walk.break_at is not None:
        return ChainReport(walk.rows, walk.break_at, walk.problem, len(anchors))
    at_head = walk.anchored_hashes.get(head.last_id, GENESIS_HASH if head.last_id == 0 else None)
    if walk.last_id < head.last_id or at_head != head.last_hash:
        return ChainReport(
            walk.rows, walk.last_id + 1, f"rows after {walk.last_id} up to {head.last_id} were removed", len(anchors)
        )
    return ChainReport(walk.rows, anchors=len(anchors))


def _key_problem(head: AuditHead, mac_key: bytes) -> str | None:
    if head.mac_key_id is not None and head.mac_key_id != mac_key_id(mac_key):
        return (
            f"the audit MAC key at hand (id {mac_key_id(mac_key)}) is not the one the log was sealed with "
            f"(id {head.mac_key_id}); restore the audit MAC key from the backup of the key directory"
        )
    return None


@dataclasses.dataclass
class _Walk:
    rows: int = 0
    last_id: int = 0
    last_hash: str = GENESIS_HASH
    break_at: int | None = None  # the first row that does not fit
    problem: str | None = None
    gap_end: int | None = None  # when rows break_at..gap_end are missing (row gap_end+1 follows)
    anchored_hashes: dict[int, str] = dataclasses.field(default_factory=dict)


def _walk(session: Session, *, head: AuditHead, mac_key: bytes, anchored: set[int], batch_size: int) -> _Walk:
    walk = _Walk()
    for event in _events_in_order(session, batch_size):
        assert event.id is not None
        expected_id = walk.last_id + 1
        if event.id != expected_id:
            walk.break_at, walk.gap_end = expected_id, event.id - 1
            walk.problem = f"{_span(expected_id, event.id - 1)} missing (row {event.id} follows row {walk.last_id})"
            return walk
        walk.rows += 1
        if event.prev_hash != walk.last_hash:
            walk.break_at, walk.problem = event.id, f"row {event.id} does not follow row {event.id - 1}"
            return walk
        keyed = head.mac_from is not None and event.id >= head.mac_from
        expected = event_mac(event, mac_key) if keyed else event_hash(event)
        if not hmac.compare_digest(expected, event.hash):
            walk.break_at, walk.problem = event.id, f"row {event.id} was altered after it was written"
            return walk
        if event.id in anchored:
            walk.anchored_hashes[event.id] = event.hash
        walk.last_id, walk.last_hash = event.id, event.hash
    return walk


def _against_anchors(walk: _Walk, *, anchors: Sequence[ChainAnchor]) -> ChainReport | None:
    for anchor in anchors:
        if anchor.row_id == 0:
            continue
        recorded = f"the {anchor.label()} recorded row {anchor.row_id} with MAC {anchor.mac[:16]}..."
        if walk.gap_end is not None and walk.break_at is not None and walk.break_at <= anchor.row_id <= walk.gap_end:
            return ChainReport(
                walk.rows, walk.break_at,
                f"{_span(walk.break_at, walk.gap_end)} missing: {recorded}, the database has no such row",
                len(anchors),
            )  # fmt: skip
        if walk.break_at is None and anchor.row_id > walk.last_id:
            return ChainReport(
                walk.rows, walk.last_id + 1,
                f"{_span(walk.last_id + 1, anchor.row_id)} missing: {recorded}, "
                f"the database ends at row {walk.last_id}",
                len(anchors),
            )  # fmt: skip
        found = walk.anchored_hashes.get(anchor.row_id)
        if found is not None and not hmac.compare_digest(found, anchor.mac):
            return ChainReport(
                walk.rows, anchor.row_id,
                f"row {anchor.row_id} differs from its anchor: {recorded}, the database has {found[:16]}...",
                len(anchors),
            )  # fmt: skip
    return None


def _span(first: int, last: int) -> str:
    return f"row {first} is" if first == last else f"rows {first}-{last} are"


def _events_in_order(session: Session, batch_size: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        batch = session.exec(
            select(AuditEvent).where(col(AuditEvent.id) > after).order_by(col(AuditEvent.id)).limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id or after
