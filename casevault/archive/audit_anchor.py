"""Anchors of the audit chain, kept in the object store where the database cannot reach.

An anchor is one small object in the active tier holding the chain's last row id, its
MAC, where the keyed part starts and the key's fingerprint, sealed with the MAC key.
One object per anchor (``audit-anchor-<UTC time>-<random>``), never overwritten, so
deleting a range of audit rows and rewriting the head in the database leaves every
earlier anchor pointing at rows that are gone. They hold ids and MACs only.

Written at least daily (a beat task), at every start, and after every destruction's
certificate commits. ``verify_audit_trail`` reads them all and holds the chain to them.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from dataclasses import dataclass, field

from sqlmodel import select

from casevault.archive.audit_keys import AWS_MAC_KEY_OBJECT, SERVICE_TAGS
from casevault.archive.ledger import LEDGER_PREFIX
from casevault.archive.store import ObjectStore
from casevault.core import audit
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import NotFound
from casevault.core.models import AuditHead, Tier

ANCHOR_PREFIX = "audit-anchor-"


def is_audit_object(object_key: str) -> bool:
    """Objects of the audit trail and the destruction ledger, which no database row points to and
    which are never orphans."""
    return object_key.startswith((ANCHOR_PREFIX, LEDGER_PREFIX)) or object_key == AWS_MAC_KEY_OBJECT


def anchor_audit_chain(*, store: ObjectStore, new_session: SessionFactory, clock: Clock) -> audit.ChainAnchor:
    """Copy the chain's head into a new anchor object. A log still unkeyed (written
    before MACs, nothing since) is turned keyed first, so the anchor pins where the
    keyed part starts."""
    with transaction(new_session) as session:
        head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
        if head.mac_from is None:
            audit.record(session, clock=clock, actor="system", action="audit.keyed", details={"from": head.last_id + 1})
    with new_session() as session:
        mac_key = audit.session_mac_key(session)
        anchor = audit.current_anchor(session, clock=clock)
    name = _object_key(anchor.at)
    document = json.loads(anchor.body()) | {"seal": anchor.seal(mac_key)}
    with store.writer(tier=Tier.active, key=name, tags=SERVICE_TAGS) as sink:
        sink.write(json.dumps(document, sort_keys=True).encode())
    return anchor


def _object_key(at: dt.datetime) -> str:
    # Sorts by time; the random tail keeps two anchors of the same instant apart.
    return f"{ANCHOR_PREFIX}{at.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"


@dataclass
class AnchorsRead:
    anchors: list[audit.ChainAnchor] = field(default_factory=list)
    unsealed: list[str] = field(default_factory=list)  # objects whose seal does not match


def read_anchors(*, store: ObjectStore, mac_key: bytes) -> AnchorsRead:
    found = AnchorsRead()
    versions = store.list_versions(tier=Tier.active, prefix=ANCHOR_PREFIX)
    names = sorted({version.key for version in versions if not version.is_delete_marker})
    for name in names:
        try:
            with store.reader(tier=Tier.active, key=name) as stored:
                document = json.loads(stored.read())
            anchor = audit.ChainAnchor(
                at=dt.datetime.strptime(document["at"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC),
                row_id=int(document["row_id"]),
                mac=str(document["mac"]),
                mac_from=document["mac_from"],
                key_id=document["key_id"],
                name=name,
            )
        except NotFound:  # deleted since the listing (a delete marker only)
            continue
        except (ValueError, KeyError, TypeError):
            found.unsealed.append(name)
            continue
        if not hmac.compare_digest(anchor.seal(mac_key), str(document.get("seal", ""))):
            found.unsealed.append(name)
            continue
        found.anchors.append(anchor)
    return found


def verify_audit_trail(*, store: ObjectStore, new_session: SessionFactory) -> audit.ChainReport:
    """The chain walked row by row and held to every anchor in the store."""
    with new_session() as session:
        mac_key = audit.session_mac_key(session)
        read = read_anchors(store=store, mac_key=mac_key)
        if read.unsealed:
            return audit.ChainReport(
                0, None, f"anchor object(s) {', '.join(read.unsealed)} were not written by casevault with this MAC key "
                "(their seal does not match): someone wrote to the store, or the MAC key is not the one in use",
            )  # fmt: skip
        return audit.verify_chain(session, mac_key=mac_key, anchors=read.anchors)
