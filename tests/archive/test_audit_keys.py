"""The audit MAC key lives where the KEK does: a 0600 file beside the key file, or
wrapped by KMS in the store. Never in the database, never readable in the store."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import boto3
import pytest

from casevault.app.parts import audit_mac_key, init_storage, open_store
from casevault.archive.audit_keys import AWS_MAC_KEY_OBJECT, LocalMacKeyFile
from casevault.core.errors import ConfigurationError
from casevault.core.models import Tier
from casevault.core.settings import Settings, load_settings
from tests.fixtures_s3 import kms_settings


def test_the_local_mac_key_is_a_private_file_beside_the_key_file(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var")
    init_storage(settings)
    assert settings.key_file is not None
    path = LocalMacKeyFile(settings.key_file).path
    assert path.parent == settings.key_file.parent
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = audit_mac_key(settings).load()
    assert len(key) == 32 and audit_mac_key(settings).init() is None  # made once, kept
    assert audit_mac_key(settings).load() == key


@pytest.fixture
def kms(moto_endpoint: str, kms_environment: None) -> Any:
    return boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")


def test_with_kms_the_mac_key_is_kept_only_wrapped_in_the_store(kms: Any, moto_endpoint: str, tmp_path: Path) -> None:
    key_id = kms.create_key(Description="casevault test kek")["KeyMetadata"]["KeyId"]
    settings: Settings = kms_settings(load_settings(data_dir=tmp_path / "var"), endpoint=moto_endpoint, key_id=key_id)
    init_storage(settings)
    key = audit_mac_key(settings).load()
    store = open_store(settings)
    with store.reader(tier=Tier.active, key=AWS_MAC_KEY_OBJECT) as stored:
        wrapped = stored.read()
    assert len(key) == 32 and key not in wrapped
    assert settings.key_file is not None and not LocalMacKeyFile(settings.key_file).path.exists()
    assert audit_mac_key(settings).load() == key

    store.delete_all_versions(tier=Tier.active, keys=[AWS_MAC_KEY_OBJECT])
    with pytest.raises(
        ConfigurationError, match=f"object {AWS_MAC_KEY_OBJECT} in the active tier\\) is missing: restore"
    ):
        audit_mac_key(settings).load()
