"""Data keys: created once per person, wrapped by the KEK, shredded for good, rotated
without touching objects."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlmodel import select

from casevault.app.parts import build_key_provider, build_vault
from casevault.archive import Vault
from casevault.archive.key_providers import init_key_file
from casevault.archive.rotation import rotate_keys
from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory
from casevault.core.errors import ConfigurationError, IntegrityFailure, KeyDestroyed
from casevault.core.models import DataKey, Tier, new_pseudonym
from casevault.core.settings import Settings
from tests.archive.conftest import lifecycle_tags, write_file
from tests.fixtures_s3 import kms_settings


def _put(vault: Vault, tmp_path: Path, subject: str, data: bytes) -> str:
    source = write_file(tmp_path / f"in-{subject}", data)
    return vault.put(subject=subject, source=source, tier=Tier.active, tags=lifecycle_tags()).object_key


def _reads_back(vault: Vault, tmp_path: Path, subject: str, key: str, data: bytes) -> bool:
    out = tmp_path / f"out-{key}"
    vault.read_to(subject=subject, object_key=key, tier=Tier.active, dest=out)
    return out.read_bytes() == data


def _rows(new_session: SessionFactory) -> list[DataKey]:
    with new_session() as session:
        return list(session.exec(select(DataKey)).all())


# --- shredding ------------------------------------------------------------------------


def test_a_destroyed_key_leaves_the_objects_unreadable_for_good(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    key = _put(vault, tmp_path, subject, b"statement of needs" * 500)
    assert vault.has_key(subject=subject)

    assert vault.destroy_key(subject=subject) is True

    assert not vault.has_key(subject=subject)
    with pytest.raises(KeyDestroyed):
        vault.read_to(subject=subject, object_key=key, tier=Tier.active, dest=tmp_path / "out")
    assert vault.destroy_key(subject=subject) is False
    # No key is made for the pseudonym again (an upload racing the destruction would):
    # nothing more is stored for a destroyed person, and the old object stays dead.
    with pytest.raises(KeyDestroyed, match="records of .* were destroyed"):
        _put(vault, tmp_path, subject, b"new")
    assert not vault.has_key(subject=subject)
    with pytest.raises(KeyDestroyed):
        vault.read_to(subject=subject, object_key=key, tier=Tier.active, dest=tmp_path / "out")


def test_one_key_per_person_stored_only_wrapped(vault: Vault, tmp_path: Path, new_session: SessionFactory) -> None:
    subject = new_pseudonym()
    _put(vault, tmp_path, subject, b"one")
    _put(vault, tmp_path, subject, b"two")

    rows = _rows(new_session)
    assert [row.subject for row in rows] == [subject]
    plaintext_key = vault.data_keys.get(subject=subject)
    assert plaintext_key not in rows[0].wrapped_key and len(plaintext_key) == 32


# --- the local key file ---------------------------------------------------------------


def test_init_creates_the_key_file_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kek.key"
    assert init_key_file(path) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert init_key_file(path) is False


def test_a_key_file_others_can_read_is_refused(
    settings: Settings, new_session: SessionFactory, clock: FixedClock
) -> None:
    assert settings.key_file is not None
    init_key_file(settings.key_file)
    os.chmod(settings.key_file, 0o644)

    with pytest.raises(ConfigurationError, match=f"chmod 600 {settings.key_file}"):
        build_vault(settings, new_session=new_session, clock=clock)


def test_a_missing_key_file_says_to_run_init(
    settings: Settings, new_session: SessionFactory, clock: FixedClock
) -> None:
    with pytest.raises(ConfigurationError, match="storage init"):
        build_vault(settings, new_session=new_session, clock=clock)


# --- rotation -------------------------------------------------------------------------


def test_rotation_rewraps_every_key_and_resumes_after_an_interruption(
    vault: Vault, settings_ready: Settings, tmp_path: Path, new_session: SessionFactory, clock: FixedClock
) -> None:
    people = {new_pseudonym(): os.urandom(3000) for _ in range(5)}
    objects = {subject: _put(vault, tmp_path, subject, data) for subject, data in people.items()}
    old_kek = {row.kek_id for row in _rows(new_session)}
    stored_before = {key: _stored(vault, key) for key in objects.values()}

    # Interrupted: only two keys re-wrapped (a bounded run stands in for a crash).
    first = rotate_keys(provider=build_key_provider(settings_ready), new_session=new_session, clock=clock, limit=2)
    assert first.started_new_kek and (first.rewrapped, first.remaining) == (2, 3)
    half_way = build_vault(settings_ready, new_session=new_session, clock=clock)  # as a fresh process would
    assert all(_reads_back(half_way, tmp_path, s, objects[s], data) for s, data in people.items())

    second = rotate_keys(provider=build_key_provider(settings_ready), new_session=new_session, clock=clock)

    assert not second.started_new_kek and (second.rewrapped, second.remaining) == (3, 0)
    assert second.kek_id == first.kek_id and second.retired == sorted(old_kek)
    assert {row.kek_id for row in _rows(new_session)} == {first.kek_id}
    assert all(row.rotated_at is not None for row in _rows(new_session))
    assert settings_ready.key_file is not None and old_kek.pop() not in settings_ready.key_file.read_text()
    after = build_vault(settings_ready, new_session=new_session, clock=clock)
    assert all(_reads_back(after, tmp_path, s, objects[s], data) for s, data in people.items())
    assert {key: _stored(after, key) for key in objects.values()} == stored_before  # objects untouched


def _stored(vault: Vault, key: str) -> bytes:
    with vault.store.reader(tier=Tier.active, key=key) as stored:
        return stored.read()


# --- AWS KMS (on the moto server) ------------------------------------------------------


@pytest.fixture
def kms(moto_endpoint: str, kms_environment: None) -> Any:
    return boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")


def test_kms_wraps_keys_bound_to_the_person_and_rotates_to_a_new_kms_key(
    kms: Any, moto_endpoint: str, settings: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    first_key = kms.create_key(Description="casevault test kek 1")["KeyMetadata"]
    second_key = kms.create_key(Description="casevault test kek 2")["KeyMetadata"]
    on_first = kms_settings(settings, endpoint=moto_endpoint, key_id=first_key["KeyId"])
    from casevault.app.parts import init_storage

    init_storage(on_first)
    vault = build_vault(on_first, new_session=new_session, clock=clock)
    people = {new_pseudonym(): os.urandom(5000) for _ in range(3)}
    objects = {subject: _put(vault, tmp_path, subject, data) for subject, data in people.items()}
    rows = _rows(new_session)
    assert {row.kek_id for row in rows} == {first_key["Arn"]}

    # A wrapped key moved onto another person's row does not unwrap (encryption context).
    victim, thief = rows[0], rows[1]
    with pytest.raises(IntegrityFailure):
        vault.data_keys.provider.unwrap(subject=thief.subject, kek_id=victim.kek_id, wrapped=victim.wrapped_key)

    on_second = kms_settings(settings, endpoint=moto_endpoint, key_id=second_key["KeyId"])
    partial = rotate_keys(provider=build_key_provider(on_second), new_session=new_session, clock=clock, limit=1)
    assert (partial.rewrapped, partial.remaining) == (1, 2)
    done = rotate_keys(provider=build_key_provider(on_second), new_session=new_session, clock=clock)
    assert (done.rewrapped, done.remaining) == (2, 0)
    assert {row.kek_id for row in _rows(new_session)} == {second_key["Arn"]}
    again = rotate_keys(provider=build_key_provider(on_second), new_session=new_session, clock=clock)
    assert again.rewrapped == 0 and "already" in again.note

    rotated = build_vault(on_second, new_session=new_session, clock=clock)
    assert all(_reads_back(rotated, tmp_path, s, objects[s], data) for s, data in people.items())
