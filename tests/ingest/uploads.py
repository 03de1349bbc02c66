"""Uploading through the API and running the OCR task in the test process, for the
ingest tests and the lifecycle tests that need searchable documents; and the bad files
every upload path must refuse. Helpers only: the fixtures are in tests/ingest/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.services import Services
from casevault.core.models import DocumentStatus
from casevault.ingest.options import UploadLimits
from casevault.ingest.process import process
from tests.ingest.scans import pdf_from_image, png_header_only, text_strip


def upload(
    backend_client: TestClient,
    headers: dict,
    case_id: int,
    path: Path,
    *,
    name: str | None = None,
    date: str = "2026-10-02",
    provided_by: str = "school",
):
    with path.open("rb") as body:
        files = {"file": (name or path.name, body, "application/octet-stream")}
        return backend_client.post(
            f"/api/v1/cases/{case_id}/documents",
            files=files,
            data={"correspondence_date": date, "provided_by": provided_by},
            headers=headers,
        )


def run_ocr(
    container: Services, document_id: int, limits: UploadLimits | None = None, *, task_id: str = "test-task"
) -> DocumentStatus:
    """What the OCR task does, run here in the test process (tests/e2e runs it in a real worker)."""
    return process(
        new_session=container.new_session,
        vault=container.vault,
        options=container.ocr_options,
        limits=limits or container.upload_limits,
        scratch=container.settings.data_dir / "tmp",
        clock=container.clock,
        document_id=document_id,
        holder=task_id,
    )


def stored_bytes(container: Services) -> list[bytes]:
    """Every byte the store holds, every version, every tier, as an attacker with the disk or bucket would see it."""
    settings = container.settings
    if settings.storage_url.startswith("file://"):
        root = Path(settings.storage_url.removeprefix("file://"))
        return [path.read_bytes() for path in root.rglob("*") if path.is_file()]
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
    )
    blobs = []
    for bucket in (settings.s3_active_bucket, settings.s3_archive_bucket):
        for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            blobs.append(
                s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
            )
    return blobs


def count(container: Services, model: type) -> int:
    with container.new_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _truncated_pdf(tmp: Path) -> Path:
    whole = pdf_from_image(text_strip(), tmp / "whole.pdf").read_bytes()
    (tmp / "truncated.pdf").write_bytes(whole[: len(whole) // 2])
    return tmp / "truncated.pdf"


def _password_pdf(tmp: Path) -> Path:
    with pikepdf.open(pdf_from_image(text_strip(), tmp / "plain.pdf")) as pdf:
        pdf.save(tmp / "locked.pdf", encryption=pikepdf.Encryption(user="secret", owner="owner", aes=True))
    return tmp / "locked.pdf"


def _zero_page_tiff(tmp: Path) -> Path:
    (tmp / "empty.tif").write_bytes(b"II*\x00\x00\x00\x00\x00")  # first page at offset 0: there is none
    return tmp / "empty.tif"


BAD_FILES = {
    "truncated pdf": (_truncated_pdf, 422, "incomplete"),
    "header-only pdf": (lambda tmp: (tmp / "h.pdf").write_bytes(b"%PDF-1.7\n") and tmp / "h.pdf", 422, "pdf"),
    "password pdf": (_password_pdf, 422, "remove the password"),
    "20000x20000 png": (lambda tmp: png_header_only(tmp / "bomb.png", 20000, 20000), 422, "pixels"),
    "zero-page tiff": (_zero_page_tiff, 422, "no pages"),
    "random bytes": (
        lambda tmp: (tmp / "x.pdf").write_bytes(b"\x00\x01not a document" * 50) and tmp / "x.pdf",
        415,
        "pdf, jpeg, png",
    ),
}
