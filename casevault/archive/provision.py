"""``casevault storage init``: make the store and the key-encryption key ready, then
prove the credentials can do everything casevault does. Safe to run again: it only
changes what is missing or different."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from casevault.archive.audit_keys import AuditMacKey
from casevault.archive.filesystem import FilesystemStore
from casevault.archive.key_providers import KeyProvider
from casevault.archive.store import ObjectStore
from casevault.archive.tags import LifecycleTags
from casevault.core.errors import CasevaultError, StorageError
from casevault.core.models import Tier

PROBE_SUBJECT = "p_casevaultprobe"


@dataclass
class InitReport:
    changes: list[str] = field(default_factory=list)  # empty on a second run
    checks: list[str] = field(default_factory=list)  # what was proven to work
    notes: list[str] = field(default_factory=list)  # limits worth knowing, not failures


@dataclass(frozen=True)
class BucketRules:
    """How S3 buckets are set up (from the CASEVAULT_S3_* settings)."""

    region: str
    noncurrent_expiry_days: int
    archive_storage_class: str


def init_storage(
    *,
    store: ObjectStore,
    key_provider: KeyProvider,
    key_provider_name: str,
    created_key_file: Path | None,
    buckets: BucketRules,
    audit_mac_key: AuditMacKey,
) -> InitReport:
    """Raises ``StorageError`` listing every problem found, each with what to do.
    ``created_key_file``: the local key file this start created, to report it."""
    report = InitReport()
    problems: list[str] = []
    if created_key_file is not None:
        report.changes.append(f"created key file {created_key_file} (mode 0600)")
    _check_key_provider(key_provider, name=key_provider_name, report=report, problems=problems)
    if isinstance(store, FilesystemStore):
        report.changes += store.create_layout()
    else:
        from casevault.archive.s3 import S3Store
        from casevault.archive.s3_provision import provision_buckets

        assert isinstance(store, S3Store)
        outcome = provision_buckets(
            store,
            region=buckets.region,
            noncurrent_expiry_days=buckets.noncurrent_expiry_days,
            archive_storage_class=buckets.archive_storage_class,
        )
        report.changes += outcome.changes
        report.notes += outcome.notes
        problems += outcome.problems
    if not problems:
        _init_audit_mac_key(audit_mac_key, report=report, problems=problems)
    if not problems:
        _probe(store, report=report, problems=problems)
    if problems:
        raise StorageError("storage is not ready:\n  - " + "\n  - ".join(problems))
    return report


def _check_key_provider(provider: KeyProvider, *, name: str, report: InitReport, problems: list[str]) -> None:
    try:
        made = provider.new_data_key(subject=PROBE_SUBJECT)
        if provider.unwrap(subject=PROBE_SUBJECT, kek_id=made.kek_id, wrapped=made.wrapped) != made.plaintext:
            problems.append("the key provider returned a different data key than it wrapped")
            return
    except CasevaultError as error:
        problems.append(f"key provider ({name}): {error.detail}")
        return
    report.checks.append(f"key provider {name}: can create and unwrap data keys")


def _init_audit_mac_key(audit_mac_key: AuditMacKey, *, report: InitReport, problems: list[str]) -> None:
    try:
        created = audit_mac_key.init()
    except CasevaultError as error:
        problems.append(f"audit MAC key: {error.detail}")
        return
    if created:
        report.changes.append(created)


def _probe(store: ObjectStore, *, report: InitReport, problems: list[str]) -> None:
    """Do once, on a throwaway object, each thing casevault does to real ones."""
    key = "casevault-probe-" + secrets.token_hex(8)
    tags = LifecycleTags(tier=Tier.active, retention_class="probe", schedule_version="probe")
    archive_tags = LifecycleTags(tier=Tier.archive, retention_class="probe", schedule_version="probe")
    payload = b"casevault storage probe\n"

    def write() -> None:
        with store.writer(tier=Tier.active, key=key, tags=tags.as_dict()) as sink:
            sink.write(payload)

    def read() -> None:
        with store.reader(tier=Tier.active, key=key) as stored:
            if stored.read(len(payload) + 1) != payload:
                raise StorageError("the probe object read back different bytes")

    steps: list[tuple[str, Callable[[], object]]] = [
        ("write an object (PutObject with tags)", write),
        ("read it back (GetObject)", read),
        ("read its tags (GetObjectTagging)", lambda: store.get_tags(tier=Tier.active, key=key)),
        ("change its tags (PutObjectTagging)", lambda: store.set_tags(tier=Tier.active, key=key, tags=tags.as_dict())),
        (
            "copy it to the archive tier (CopyObject)",
            lambda: store.copy(key=key, source=Tier.active, target=Tier.archive, tags=archive_tags.as_dict()),
        ),
        ("list versions (ListObjectVersions)", lambda: next(iter(store.list_versions(tier=Tier.active)), None)),
    ]
    try:
        for name, step in steps:
            try:
                step()
            except CasevaultError as error:
                problems.append(f"cannot {name}: {error.detail}")
                return
            report.checks.append(f"can {name}")
    finally:
        _remove_probe(store, key=key, report=report, problems=problems)


def _remove_probe(store: ObjectStore, *, key: str, report: InitReport, problems: list[str]) -> None:
    for tier in Tier:
        try:
            store.delete_all_versions(tier=tier, keys=[key])
        except CasevaultError as error:
            problems.append(f"cannot delete every version of an object in the {tier.value} tier: {error.detail}")
            return
    report.checks.append("can delete every version of an object (DeleteObjects)")
