"""`casevault import` and `casevault ocr retry`, run as an operator would."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from casevault.app.services import Services
from casevault.cli import cli
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus
from casevault.core.settings import Settings
from tests.ingest.scans import save, text_strip


@pytest.fixture
def operator(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name, value in {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(f"CASEVAULT_{name}", str(value))
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    return runner


@pytest.fixture
def case_reference(container: Services, client, callers, case) -> str:
    return case["reference"]


def test_import_stores_every_scan_once_and_reports_failures(
    operator: CliRunner, container: Services, case_reference: str, tmp_path: Path
) -> None:
    folder = tmp_path / "box-3"
    folder.mkdir()
    save(text_strip(("Letter one",)), folder / "a.png")
    save(text_strip(("Letter two",)), folder / "b.jpg", quality=90)
    (folder / "c.pdf").write_bytes(b"%PDF-1.7\n")  # header only: refused with its reason
    (folder / "notes.txt").write_text("not a scan")  # not importable: ignored

    first = operator.invoke(cli, ["import", str(folder), "--case", case_reference, "--as-user", "maya"])
    assert first.exit_code == 1
    assert "stored 2 files" in first.output and "1 failed" in first.output
    assert "c.pdf" in first.output

    again = operator.invoke(cli, ["import", str(folder), "--case", case_reference, "--as-user", "maya"])
    assert "stored 0 files" in again.output and "skipped 2 already stored" in again.output
    with container.new_session() as session:
        assert len(session.exec(select(Document)).all()) == 2


def test_import_refuses_unknown_cases_and_non_managers(
    operator: CliRunner, case_reference: str, tmp_path: Path
) -> None:
    assert (
        "no case"
        in operator.invoke(cli, ["import", str(tmp_path), "--case", "SEN-1999-00001", "--as-user", "maya"]).output
    )
    assert (
        "no active manager"
        in operator.invoke(cli, ["import", str(tmp_path), "--case", case_reference, "--as-user", "olive"]).output
    )


def test_retry_requeues_only_failed_documents(
    operator: CliRunner, container: Services, case_reference: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    save(text_strip(), folder / "a.png")
    operator.invoke(cli, ["import", str(folder), "--case", case_reference, "--as-user", "maya"])
    with container.new_session() as session:
        document = session.exec(select(Document)).one()
    refused = operator.invoke(cli, ["ocr", "retry", str(document.id)])
    assert refused.exit_code != 0 and "only a failed document" in refused.output
    with transaction(container.new_session) as session:
        document.status, document.failure_reason = DocumentStatus.failed, "tesseract crashed"
        session.add(document)
    assert operator.invoke(cli, ["ocr", "retry", str(document.id)]).exit_code == 0
    with container.new_session() as session:
        assert session.get(Document, document.id).status == DocumentStatus.queued
