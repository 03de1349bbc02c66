"""Contract and backend specifics: tags, deletion of every version, crashes mid-write,
storage init, refusals."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from casevault.app.parts import build_vault, init_storage, open_store
from casevault.archive import LifecycleTags, Vault
from casevault.archive.filesystem import FilesystemStore
from casevault.archive.s3 import S3Store
from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory
from casevault.core.errors import InvalidInput, StorageError, TransientError
from casevault.core.models import Tier, new_pseudonym
from casevault.core.settings import Settings
from tests.archive.conftest import lifecycle_tags, write_file

# --- tags -----------------------------------------------------------------------------


def test_tags_are_on_every_object_and_can_change(vault: Vault, tmp_path: Path) -> None:
    put = vault.put(
        subject=new_pseudonym(), source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=lifecycle_tags()
    )
    assert vault.get_tags(object_key=put.object_key, tier=Tier.active) == lifecycle_tags()

    changed = lifecycle_tags(retention_class="case-record-2", schedule_version="2026.1")
    vault.set_tags(object_key=put.object_key, tier=Tier.active, tags=changed)

    assert vault.get_tags(object_key=put.object_key, tier=Tier.active) == changed


def test_tags_at_the_limits_are_accepted(vault: Vault, tmp_path: Path) -> None:
    extra = tuple((f"x:{n}" + "k" * (128 - len(f"x:{n}")), "v" * 256) for n in range(7))  # 3 + 7 = 10
    tags = lifecycle_tags().__class__(
        tier=Tier.active, retention_class="r" * 256, schedule_version="2025.1", extra=extra
    )
    put = vault.put(subject=new_pseudonym(), source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=tags)
    assert vault.get_tags(object_key=put.object_key, tier=Tier.active) == tags


@pytest.mark.parametrize(
    "change, message",
    [
        ({"extra": tuple((f"x:{n}", "v") for n in range(8))}, "at most 10"),
        ({"retention_class": "r" * 257}, "at most 256"),
        ({"extra": (("k" * 129, "v"),)}, "1-128 characters"),
        ({"retention_class": "Ada Lovelace's case"}, "characters S3 refuses"),
        ({"extra": (("casevault:disposition-month", "2031-03"),)}, "retired"),
    ],
)
def test_tags_beyond_the_limits_are_refused_clearly(change: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "tier": Tier.active, "retention_class": "case-record", "schedule_version": "2025.1"
    }  # fmt: skip
    with pytest.raises(InvalidInput, match=message):
        LifecycleTags(**{**fields, **change})


def test_tags_must_name_the_tier_they_go_to(vault: Vault, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="tier"):
        vault.put(
            subject=new_pseudonym(),
            source=write_file(tmp_path / "in", b"x"),
            tier=Tier.active,
            tags=lifecycle_tags(Tier.archive),
        )


# --- deleting -------------------------------------------------------------------------


def test_delete_everywhere_removes_every_copy_and_is_idempotent(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    puts = [
        vault.put(
            subject=subject,
            source=write_file(tmp_path / f"in{n}", os.urandom(5000 + n)),
            tier=Tier.active,
            tags=lifecycle_tags(),
        )
        for n in range(3)
    ]
    for put in puts[:2]:
        vault.copy_to_tier(
            object_key=put.object_key, source=Tier.active, target=Tier.archive, tags=lifecycle_tags(Tier.archive)
        )
    keys = [put.object_key for put in puts]

    report = vault.delete_everywhere(keys)

    assert (report.objects, report.versions) == (5, 5)
    assert report.bytes == sum(p.stored_size for p in puts) + sum(p.stored_size for p in puts[:2])
    for tier in Tier:
        assert not any(vault.exists(object_key=key, tier=tier) for key in keys)
        assert not [v for v in vault.store.list_versions(tier=tier) if v.key in keys]
    again = vault.delete_everywhere(keys)
    assert (again.objects, again.versions, again.bytes) == (0, 0, 0)


def test_s3_deletes_thousands_of_objects_in_every_version(
    s3_settings: Settings, new_session: SessionFactory, clock: FixedClock
) -> None:
    init_storage(s3_settings)
    vault = build_vault(s3_settings, new_session=new_session, clock=clock)
    store = vault.store
    assert isinstance(store, S3Store)
    bucket = store.buckets[Tier.active]
    keys = [f"{n:04d}" + os.urandom(12).hex() for n in range(1001)]

    # Seeded straight into the moto server's backend (it runs in this process): 3,000
    # PUTs over HTTP would take half a minute. The deletion under test goes over HTTP.
    from moto.s3.models import s3_backends

    backend = s3_backends["123456789012"]["aws"]
    for key in keys:
        backend.put_object(bucket, key, b"first")
        backend.put_object(bucket, key, b"second!")
        backend.delete_object(bucket, key)  # a delete marker on top
    assert len(list(store.list_versions(tier=Tier.active))) == 3003
    survivor = keys.pop()  # not asked for: must stay

    report = vault.delete_everywhere(keys, tiers=[Tier.active])

    assert (report.objects, report.versions, report.bytes) == (1000, 2000, 1000 * 12)
    left = store.client.list_object_versions(Bucket=bucket)
    remaining = {v["Key"] for v in left.get("Versions", []) + left.get("DeleteMarkers", [])}
    assert remaining == {survivor}


# --- crashes mid-write ----------------------------------------------------------------


def test_filesystem_crash_between_write_and_rename_leaves_nothing_visible(
    settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_storage(settings)
    vault = build_vault(settings, new_session=new_session, clock=clock)
    assert isinstance(vault.store, FilesystemStore)

    def power_cut(*_args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(StorageError):
        vault.put(
            subject=new_pseudonym(),
            source=write_file(tmp_path / "in", b"half" * 5000),
            tier=Tier.active,
            tags=lifecycle_tags(),
        )
    monkeypatch.undo()

    assert list(vault.store.list_versions(tier=Tier.active)) == []
    leftovers = [p for p in (vault.store.root / "active").rglob("*") if p.is_file()]
    assert leftovers == []
    # A real power cut skips our cleanup: a stray partial file is still never an object.
    stray = vault.store.root / "active" / ".partial" / "0123456789abcdef.deadbeef"
    stray.write_bytes(b"partial")
    assert list(vault.store.list_versions(tier=Tier.active)) == []
    now = dt.datetime.now(dt.UTC)
    assert vault.store.abort_abandoned_uploads(tier=Tier.active, older_than=now - dt.timedelta(hours=1)) == 0
    assert vault.store.abort_abandoned_uploads(tier=Tier.active, older_than=now + dt.timedelta(seconds=1)) == 1
    assert not stray.exists()


def test_s3_interrupted_multipart_upload_is_aborted(
    s3_settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    settings = s3_settings.model_copy(update={"s3_multipart_threshold_mb": 5})
    init_storage(settings)
    vault = build_vault(settings, new_session=new_session, clock=clock)
    store = vault.store
    assert isinstance(store, S3Store)
    bucket = store.buckets[Tier.active]

    def network_drops_on_part_two(params: dict[str, Any], **_: Any) -> None:
        if params.get("PartNumber") == 2:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1")

    store.client.meta.events.register("provide-client-params.s3.UploadPart", network_drops_on_part_two)
    with pytest.raises(TransientError, match="try again"):
        vault.put(
            subject=new_pseudonym(),
            source=write_file(tmp_path / "in", os.urandom(12 * 1024 * 1024)),
            tier=Tier.active,
            tags=lifecycle_tags(),
        )

    assert store.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert store.client.list_object_versions(Bucket=bucket).get("Versions", []) == []


def test_s3_abandoned_uploads_from_a_dead_process_are_aborted(s3_settings: Settings) -> None:
    init_storage(s3_settings)
    store = open_store(s3_settings)
    bucket = store.buckets[Tier.archive]
    store.client.create_multipart_upload(Bucket=bucket, Key="0123456789abcdef0123456789abcdef")

    # (moto reports every upload as started in 2010, so only the removal is checked here;
    # the filesystem test checks that recent writes are spared.)
    assert store.abort_abandoned_uploads(tier=Tier.archive, older_than=dt.datetime.now(dt.UTC)) == 1
    assert store.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# --- storage init ---------------------------------------------------------------------


def test_init_twice_changes_nothing(base_settings: Settings, backend: str) -> None:
    first = init_storage(base_settings)
    state = _storage_state(base_settings)

    second = init_storage(base_settings)

    assert first.changes, "the first run set things up"
    assert second.changes == []
    assert _storage_state(base_settings) == state
    assert any("delete every version" in check for check in second.checks)


def _storage_state(settings: Settings) -> Any:
    store = build_store(settings)
    if isinstance(store, FilesystemStore):
        assert settings.key_file is not None
        modes = {str(p): stat.S_IMODE(p.stat().st_mode) for p in [store.root, *store.root.rglob("*")]}
        assert set(modes.values()) == {0o700}, "every directory owner-only"
        assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
        return modes, settings.key_file.read_bytes()
    state = {}
    for tier, bucket in store.buckets.items():
        versioning = store.client.get_bucket_versioning(Bucket=bucket)["Status"]
        rules = store.client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        objects = store.client.list_object_versions(Bucket=bucket)
        state[tier] = (versioning, json.dumps(rules, sort_keys=True, default=str), objects.get("Versions", []))
        assert versioning == "Enabled"
        assert any(
            r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == settings.s3_noncurrent_expiry_days
            for r in rules
        )
        assert objects.get("Versions", []) == [] and objects.get("DeleteMarkers", []) == [], "the probe leaves nothing"
    return state


def build_store(settings: Settings) -> FilesystemStore | S3Store:
    store = open_store(settings)
    assert isinstance(store, (FilesystemStore, S3Store))
    return store


def test_init_installs_the_cold_class_transition_on_the_archive_bucket(s3_settings: Settings) -> None:
    settings = s3_settings.model_copy(update={"s3_archive_storage_class": "GLACIER_IR"})
    init_storage(settings)
    store = open_store(settings)
    rules = store.client.get_bucket_lifecycle_configuration(Bucket=store.buckets[Tier.archive])["Rules"]
    assert [t["StorageClass"] for r in rules for t in r.get("Transitions", [])] == ["GLACIER_IR"]
    active_rules = store.client.get_bucket_lifecycle_configuration(Bucket=store.buckets[Tier.active])["Rules"]
    assert not any(r.get("Transitions") for r in active_rules)
    assert init_storage(settings).changes == []


# --- refusals -------------------------------------------------------------------------


def test_a_bucket_that_refuses_writes_gives_a_clear_error(
    s3_settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    init_storage(s3_settings)
    store = open_store(s3_settings)
    bucket = store.buckets[Tier.active]
    deny_writes = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
        ],
    }
    store.client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny_writes))
    vault = build_vault(s3_settings, new_session=new_session, clock=clock)

    with pytest.raises(
        StorageError, match=f"uploading object .* to bucket {bucket} was refused .*grant the permission"
    ):
        vault.put(
            subject=new_pseudonym(), source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=lifecycle_tags()
        )
    with pytest.raises(StorageError, match="cannot write an object"):
        init_storage(s3_settings)


def test_a_missing_bucket_says_to_run_init(
    s3_settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    assert s3_settings.key_file is not None
    from casevault.archive.key_providers import init_key_file

    init_key_file(s3_settings.key_file)
    vault = build_vault(s3_settings, new_session=new_session, clock=clock)
    with pytest.raises(StorageError, match="does not exist; run `casevault storage init`"):
        vault.put(
            subject=new_pseudonym(), source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=lifecycle_tags()
        )


def test_a_missing_tier_directory_says_to_run_init(
    settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    assert settings.key_file is not None
    from casevault.archive.key_providers import init_key_file

    init_key_file(settings.key_file)
    vault = build_vault(settings, new_session=new_session, clock=clock)
    with pytest.raises(StorageError, match="storage init"):
        vault.put(
            subject=new_pseudonym(), source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=lifecycle_tags()
        )


# --- cold storage ---------------------------------------------------------------------


def test_cold_archive_objects_are_restored_before_reading(
    s3_settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    settings = s3_settings.model_copy(update={"s3_archive_storage_class": "GLACIER"})
    init_storage(settings)
    vault = build_vault(settings, new_session=new_session, clock=clock)
    subject = new_pseudonym()
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "in", b"archived letter"), tier=Tier.active, tags=lifecycle_tags()
    )
    vault.copy_to_tier(
        object_key=put.object_key, source=Tier.active, target=Tier.archive, tags=lifecycle_tags(Tier.archive)
    )

    assert not vault.restore_ready(object_key=put.object_key)
    with pytest.raises(StorageError, match="request a restore"):
        vault.verify(subject=subject, object_key=put.object_key, tier=Tier.archive, sha256=put.sha256)

    vault.request_restore(object_key=put.object_key, days=2)

    assert vault.restore_ready(object_key=put.object_key)  # moto restores at once; AWS takes hours
    vault.verify(subject=subject, object_key=put.object_key, tier=Tier.archive, sha256=put.sha256)


def test_an_archive_without_a_cold_class_needs_no_restore(vault: Vault, tmp_path: Path) -> None:
    put_subject = new_pseudonym()
    put = vault.put(
        subject=put_subject, source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=lifecycle_tags()
    )
    vault.copy_to_tier(
        object_key=put.object_key, source=Tier.active, target=Tier.archive, tags=lifecycle_tags(Tier.archive)
    )
    assert vault.restore_ready(object_key=put.object_key)
    assert (
        vault.read_to(subject=put_subject, object_key=put.object_key, tier=Tier.archive, dest=tmp_path / "out")
        == put.sha256
    )
