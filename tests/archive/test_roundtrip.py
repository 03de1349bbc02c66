"""Contract: what goes in comes out, on every backend, at every awkward size."""

from __future__ import annotations

import hashlib
import os
import threading
import tracemalloc
from pathlib import Path

import pytest

from casevault.app.parts import build_vault
from casevault.archive import Vault
from casevault.archive.envelope import stored_size
from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory
from casevault.core.errors import IntegrityFailure, NotFound
from casevault.core.models import Tier, new_pseudonym
from casevault.core.settings import Settings
from tests.archive.conftest import SMALL_CHUNK_KB, lifecycle_tags, write_file

CHUNK = SMALL_CHUNK_KB * 1024
MIB = 1024 * 1024


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_what_goes_in_comes_out(vault: Vault, tmp_path: Path, size: int) -> None:
    plaintext = os.urandom(size)
    subject = new_pseudonym()
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "in", plaintext), tier=Tier.active, tags=lifecycle_tags()
    )

    assert put.sha256 == hashlib.sha256(plaintext).hexdigest()
    assert (put.size, put.stored_size) == (size, stored_size(size, CHUNK))
    assert vault.store.head(tier=Tier.active, key=put.object_key).size == put.stored_size
    out = tmp_path / "out"
    assert vault.read_to(subject=subject, object_key=put.object_key, tier=Tier.active, dest=out) == put.sha256
    assert out.read_bytes() == plaintext
    with vault.open(subject=subject, object_key=put.object_key, tier=Tier.active) as chunks:
        assert b"".join(chunks) == plaintext
    vault.verify(subject=subject, object_key=put.object_key, tier=Tier.active, sha256=put.sha256)


def test_real_one_mebibyte_chunks(
    settings_ready: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    vault = build_vault(settings_ready.model_copy(update={"chunk_size_kb": 1024}), new_session=new_session, clock=clock)
    plaintext = os.urandom(2 * MIB + 3)
    subject = new_pseudonym()
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "in", plaintext), tier=Tier.active, tags=lifecycle_tags()
    )

    assert put.stored_size == stored_size(len(plaintext), MIB)
    assert (
        vault.read_to(subject=subject, object_key=put.object_key, tier=Tier.active, dest=tmp_path / "out") == put.sha256
    )
    assert (tmp_path / "out").read_bytes() == plaintext


def test_fifty_megabytes_stream_in_bounded_memory(
    backend: str, settings_ready: Settings, new_session: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    # 1 MiB chunks; on S3 a 5 MB threshold makes this a multipart upload.
    settings = settings_ready.model_copy(update={"chunk_size_kb": 1024, "s3_multipart_threshold_mb": 5})
    vault = build_vault(settings, new_session=new_session, clock=clock)
    source = tmp_path / "big"
    digest = hashlib.sha256()
    with source.open("wb") as handle:
        for _ in range(50):
            block = os.urandom(MIB)
            digest.update(block)
            handle.write(block)
    subject = new_pseudonym()

    tracemalloc.start()
    try:
        put = vault.put(subject=subject, source=source, tier=Tier.active, tags=lifecycle_tags())
        read_sha = vault.read_to(subject=subject, object_key=put.object_key, tier=Tier.active, dest=tmp_path / "out")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert put.sha256 == read_sha == digest.hexdigest()
    assert put.size == 50 * MIB
    if backend == "filesystem":
        # (The moto server runs in this process and keeps S3 objects in memory, so there
        # the figure would be moto's; benchmarks/storage.py measures S3 with moto outside.)
        assert peak < 24 * MIB, f"peak {peak / MIB:.1f} MiB: the object was held in memory"


def test_verify_refuses_a_wrong_hash(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "in", b"letter"), tier=Tier.active, tags=lifecycle_tags()
    )
    with pytest.raises(IntegrityFailure, match="sha256"):
        vault.verify(subject=subject, object_key=put.object_key, tier=Tier.active, sha256="0" * 64)


def test_missing_object_is_not_found(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    vault.put(subject=subject, source=write_file(tmp_path / "in", b"x"), tier=Tier.active, tags=lifecycle_tags())
    assert not vault.exists(object_key="0" * 32, tier=Tier.active)
    with pytest.raises(NotFound):
        vault.read_to(subject=subject, object_key="0" * 32, tier=Tier.active, dest=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_copy_to_the_archive_tier_keeps_the_object_readable(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    plaintext = os.urandom(3 * CHUNK)
    put = vault.put(
        subject=subject, source=write_file(tmp_path / "in", plaintext), tier=Tier.active, tags=lifecycle_tags()
    )

    vault.copy_to_tier(
        object_key=put.object_key, source=Tier.active, target=Tier.archive, tags=lifecycle_tags(Tier.archive)
    )

    assert vault.exists(object_key=put.object_key, tier=Tier.archive)
    assert vault.exists(object_key=put.object_key, tier=Tier.active)  # the caller deletes the source
    assert vault.get_tags(object_key=put.object_key, tier=Tier.archive).tier is Tier.archive
    vault.verify(subject=subject, object_key=put.object_key, tier=Tier.archive, sha256=put.sha256)


def test_two_first_uses_at_once_share_one_key(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    results = {}
    barrier = threading.Barrier(2)

    def upload(name: str) -> None:
        source = write_file(tmp_path / name, name.encode() * 1000)
        barrier.wait()
        results[name] = vault.put(subject=subject, source=source, tier=Tier.active, tags=lifecycle_tags())

    threads = [threading.Thread(target=upload, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(results) == {"first", "second"}
    for name, put in results.items():
        out = tmp_path / f"{name}.out"
        vault.read_to(subject=subject, object_key=put.object_key, tier=Tier.active, dest=out)
        assert out.read_bytes() == name.encode() * 1000
