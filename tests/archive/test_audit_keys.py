"""The audit MAC key lives where the KEK does: a 0600 file beside the key file, or
wrapped by KMS in the store. Never in the database, never readable in the store."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import boto3
import pytest

from casevault.archive.audit_keys import AWS_MAC_KEY_OBJECT, init_audit_mac_key, load_audit_mac_key, mac_key_file
from casevault.archive.factory import open_store
from casevault.archive.provision import init_storage
from casevault.core.errors import ConfigurationError
from casevault.core.models import Tier
from casevault.core.settings import Settings, load_settings
from tests.fixtures_s3 import kms_settings


def test_the_local_mac_key_is_a_private_file_beside_the_key_file(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var")
    init_storage(settings)
    path = mac_key_file(settings)
    assert settings.key_file is not None and path.parent == settings.key_file.parent
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_audit_mac_key(settings)
    assert len(key) == 32 and init_audit_mac_key(settings) is None  # made once, kept
    assert load_audit_mac_key(settings) == key


@pytest.fixture
def kms(moto_endpoint: str, kms_environment: None) -> Any:
    return boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")


def test_with_kms_the_mac_key_is_kept_only_wrapped_in_the_store(kms: Any, moto_endpoint: str, tmp_path: Path) -> None:
    key_id = kms.create_key(Description="casevault test kek")["KeyMetadata"]["KeyId"]
    settings: Settings = kms_settings(load_settings(data_dir=tmp_path / "var"), endpoint=moto_endpoint, key_id=key_id)
    init_storage(settings)
    key = load_audit_mac_key(settings)
    store = open_store(settings)
    with store.reader(tier=Tier.active, key=AWS_MAC_KEY_OBJECT) as stored:
        wrapped = stored.read()
    assert len(key) == 32 and key not in wrapped
    assert not mac_key_file(settings).exists()
    assert load_audit_mac_key(settings) == key

    store.delete_all_versions(tier=Tier.active, keys=[AWS_MAC_KEY_OBJECT])
    with pytest.raises(ConfigurationError, match=f"object {AWS_MAC_KEY_OBJECT} in the active tier\\) is missing: restore"):
        load_audit_mac_key(settings)
