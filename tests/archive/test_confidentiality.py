"""The issue's "done when": no readable byte of a document reaches the store, on either
backend, in any tier, version, tag or metadata."""

from __future__ import annotations

from pathlib import Path

from casevault.archive import Vault
from casevault.archive.filesystem import FilesystemStore
from casevault.archive.s3 import S3Store
from casevault.core.models import Tier, new_pseudonym
from tests.archive.conftest import lifecycle_tags, write_file

KNOWN_WORDS = [b"Oakfield", b"dyslexia", b"EHCP", b"Jessamine", b"safeguarding", b"%PDF"]


def _pdf_like_letter() -> bytes:
    body = (
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"
        b"BT (Jessamine attends Oakfield Primary; the EHCP names dyslexia and a safeguarding plan.) Tj ET\n"
    )
    return body * 200 + b"%%EOF\n"  # spans several chunks


def test_no_known_word_and_no_pdf_signature_reaches_the_store(vault: Vault, tmp_path: Path) -> None:
    subject = new_pseudonym()
    letter = _pdf_like_letter()
    assert all(word in letter for word in KNOWN_WORDS)
    first = vault.put(
        subject=subject, source=write_file(tmp_path / "letter.pdf", letter), tier=Tier.active, tags=lifecycle_tags()
    )
    second = vault.put(
        subject=subject, source=write_file(tmp_path / "copy.pdf", letter), tier=Tier.active, tags=lifecycle_tags()
    )
    vault.copy_to_tier(
        object_key=first.object_key, source=Tier.active, target=Tier.archive, tags=lifecycle_tags(Tier.archive)
    )
    vault.set_tags(object_key=second.object_key, tier=Tier.active, tags=lifecycle_tags(schedule_version="2026.1"))

    everything = _every_stored_byte(vault)

    assert len(everything) > 3 * len(letter)  # the scan saw the objects
    found = [word for word in KNOWN_WORDS if word in everything]
    assert found == []
    assert subject.encode() not in everything  # not even the pseudonym


def _every_stored_byte(vault: Vault) -> bytes:
    store = vault.store
    if isinstance(store, FilesystemStore):
        return b"".join(
            path.name.encode() + path.read_bytes() for path in sorted(store.root.rglob("*")) if path.is_file()
        )
    assert isinstance(store, S3Store)
    seen = []
    for bucket in store.buckets.values():
        listing = store.client.list_object_versions(Bucket=bucket)
        for version in listing.get("Versions", []):
            key, version_id = version["Key"], version["VersionId"]
            answer = store.client.get_object(Bucket=bucket, Key=key, VersionId=version_id)
            seen.append(key.encode() + answer["Body"].read())
            seen.append(repr(answer.get("Metadata")).encode() + repr(answer.get("ContentType")).encode())
            tags = store.client.get_object_tagging(Bucket=bucket, Key=key, VersionId=version_id)["TagSet"]
            seen.append(repr(tags).encode())
    return b"".join(seen)
