from __future__ import annotations

from pathlib import Path

import pytest

from casevault.core.errors import ConfigurationError
from casevault.core.settings import load_settings


def test_defaults_live_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEVAULT_DATA_DIR", str(tmp_path / "d"))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'casevault.db'}"
    assert settings.storage_url == f"file://{tmp_path / 'd' / 'objects'}"
    assert settings.broker_url.startswith("sqla+sqlite:///")
    assert settings.key_file == tmp_path / "d" / "keys" / "kek.key"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CASEVAULT_PORT", "eighty"),
        ("CASEVAULT_PORT", "70000"),
        ("CASEVAULT_KEY_PROVIDER", "vault"),
        ("CASEVAULT_MAX_UPLOAD_MB", "0"),
    ],
)
def test_invalid_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()


def test_kms_needs_a_key_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEVAULT_KEY_PROVIDER", "aws-kms")
    with pytest.raises(ConfigurationError, match="CASEVAULT_KMS_KEY_ID"):
        load_settings()
