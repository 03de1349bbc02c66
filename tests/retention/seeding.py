"""Seeding the records of a young person for the lifecycle tests: a person, a closed
case and its documents stored encrypted, written as the upload and close would write
them, plus what the store holds of them afterwards."""

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
from casevault.retention.parts import Lifecycle
from casevault.retention.tagging import lifecycle_tags


def lifecycle_of(container: Services, **changes: object) -> Lifecycle:
    base = container.lifecycle
    return Lifecycle(**{**base.__dict__, **changes})


@dataclass(frozen=True)
class Seeded:
    person_id: int
    pseudonym: str
    case_id: int
    document_ids: tuple[int, ...]
    object_keys: tuple[str, ...]


WORDS = ("tribunal", "statement", "annual review")


def seed_person(
    container: Services,
    tmp_path: Path,
    *,
    born: dt.date,
    documents: int = 2,
    closed_on: dt.date | None = None,
    last_correspondence: dt.date | None = None,
) -> Seeded:
    """A person with one case holding ``documents`` ready documents (original and
    searchable objects, page text in the full-text index), closed if ``closed_on``."""
    with transaction(container.new_session) as session:
        person = Person(full_name="Robin Example", date_of_birth=born, contact_details="01234 000000")
        session.add(person)
        session.flush()
        referral = last_correspondence or closed_on or container.clock.today()
        case = Case(
            reference=f"SEN-T-{person.id:05d}",
            person_id=person.id,
            referral_date=min(referral, container.clock.today()),
            referral_source=ReferralSource.parent_carer,
            status=CaseStatus.closed if closed_on else CaseStatus.open,
            closed_on=closed_on,
            outcome="Resolved." if closed_on else None,
            last_correspondence=last_correspondence,
        )
        session.add(case)
        session.flush()
        person_id, pseudonym, case_id = person.id, person.pseudonym, case.id
    document_ids, keys = [], []
    for index in range(documents):
        document_id, stored_keys = add_document(
            container,
            tmp_path,
            case_id=case_id,
            subject=pseudonym,
            born=born,
            index=index,
            correspondence_date=last_correspondence or dt.date(2026, 1, 5),
        )
        document_ids.append(document_id)
        keys += stored_keys
    return Seeded(person_id, pseudonym, case_id, tuple(document_ids), tuple(keys))


def add_document(
    container: Services,
    tmp_path: Path,
    *,
    case_id: int,
    subject: str,
    born: dt.date,
    index: int,
    correspondence_date: dt.date,
) -> tuple[int, list[str]]:
    """One ready document on the case: original and searchable objects, one page of text."""
    tags = lifecycle_tags(tier=Tier.active, schedule=container.schedule)
    source = tmp_path / f"doc-{case_id}-{index}.bin"
    source.write_bytes(f"letter {index} about {WORDS[index % len(WORDS)]} ".encode() * 500)
    stored = [container.vault.put(subject=subject, source=source, tier=Tier.active, tags=tags) for _ in PDF_VARIANTS]
    with transaction(container.new_session) as session:
        document = Document(
            case_id=case_id,
            original_filename=f"letter-{index}.pdf",
            content_type="application/pdf",
            size=stored[0].size,
            sha256=stored[0].sha256,
            correspondence_date=correspondence_date,
            provided_by=ProvidedBy.school,
            status=DocumentStatus.ready,
            tier=Tier.active,
            page_count=1,
        )
        session.add(document)
        session.flush()
        for variant, put in zip(PDF_VARIANTS, stored, strict=True):
            session.add(stored_row(document, variant, put, Tier.active))
        session.add(PageText(document_id=document.id, page=1, text=f"The {WORDS[index % len(WORDS)]} letter."))
        return document.id, [put.object_key for put in stored]


def versions_in(container: Services, tier: Tier, keys: tuple[str, ...] | list[str]) -> list[str]:
    """The raw store's contents for ``keys``: every version and delete marker."""
    wanted = set(keys)
    return [v.key for v in container.vault.store.list_versions(tier=tier) if v.key in wanted]
