"""People and documents for the backup tests, written as the upload and OCR would write
them (encrypted objects, one page of text each), and what a file search finds of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import (
    PDF_VARIANTS,
    Case,
    CaseStatus,
    Document,
    DocumentStatus,
    PageText,
    Person,
    ProvidedBy,
    ReferralSource,
    Tier,
)
from casevault.ingest.accept import stored_row
from casevault.retention.tagging import lifecycle_tags

# Words no other indexed word starts like, so the full-text index cannot keep them prefix-compressed.
# 25 long ago, her case closed before: due for destruction without a manager's approval
DOOMED = {
    "name": "Xanthe Brimblecombe",
    "born": dt.date(1995, 3, 2),
    "word": "Xylofrond",
    "closed_on": dt.date(2019, 6, 1),
}
KEPT = {"name": "Quentin Ostrowski", "born": dt.date(2012, 2, 29), "word": "Quibbletorn"}
LATER_WORD = "Vexmoorland"  # on a page stored after the backup


@dataclass(frozen=True)
class Stored:
    person_id: int
    pseudonym: str
    case_id: int
    document_ids: list[int]
    object_keys: list[str]


def add_person(container: Services, tmp_path: Path, person: dict, *, documents: int = 2) -> Stored:
    with transaction(container.new_session) as session:
        row = Person(full_name=person["name"], date_of_birth=person["born"], contact_details="01234 000000")
        session.add(row)
        session.flush()
        case = Case(
            reference=f"SEN-B-{row.id:05d}",
            person_id=row.id,
            referral_date=person.get("closed_on", dt.date(2026, 1, 5)),
            referral_source=ReferralSource.parent_carer,
            status=CaseStatus.closed if "closed_on" in person else CaseStatus.open,
            closed_on=person.get("closed_on"),
            outcome="Advice given." if "closed_on" in person else None,
        )
        session.add(case)
        session.flush()
        stored = Stored(row.id, row.pseudonym, case.id, [], [])
    for index in range(documents):
        add_document(container, tmp_path, stored, word=person["word"], index=index)
    return stored


def add_document(container: Services, tmp_path: Path, stored: Stored, *, word: str, index: int) -> int:
    tags = lifecycle_tags(tier=Tier.active, schedule=container.schedule)
    source = tmp_path / f"scan-{stored.case_id}-{index}-{word}.bin"
    source.write_bytes(f"letter {index} about {word} ".encode() * 400)
    subject = stored.pseudonym
    puts = [container.vault.put(subject=subject, source=source, tier=Tier.active, tags=tags) for _ in PDF_VARIANTS]
    source.unlink()
    with transaction(container.new_session) as session:
        document = Document(
            case_id=stored.case_id,
            original_filename=f"letter-{index}.pdf",
            content_type="application/pdf",
            size=puts[0].size,
            sha256=puts[0].sha256,
            correspondence_date=dt.date(2026, 1, 5),
            provided_by=ProvidedBy.school,
            status=DocumentStatus.ready,
            tier=Tier.active,
            page_count=1,
        )
        session.add(document)
        session.flush()
        for variant, put in zip(PDF_VARIANTS, puts, strict=True):
            session.add(stored_row(document, variant, put, Tier.active))
        session.add(PageText(document_id=document.id, page=1, text=f"The {word} letter, page one."))
        document_id = document.id
    stored.document_ids.append(document_id)
    stored.object_keys.extend(put.object_key for put in puts)
    return document_id


def told_about(person: dict) -> list[str]:
    return [person["word"], *person["name"].split(), person["born"].isoformat()]


def files_holding(directory: Path, told: str) -> list[str]:
    """Files under ``directory`` holding ``told`` (as written, or lower-cased as the index keeps words)."""
    needles = {told.encode(), told.lower().encode()}
    return sorted(
        str(path.relative_to(directory))
        for path in directory.rglob("*")
        if path.is_file() and any(needle in path.read_bytes() for needle in needles)
    )
