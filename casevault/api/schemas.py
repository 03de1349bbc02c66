"""What clients send and get back, every entity's shapes in this one place. Inputs
forbid unknown fields, so a typo is reported instead of silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from casevault.api.bounds import BodyId, RealDate
from casevault.core.models import (
    Case,
    CaseNote,
    CaseNoteBase,
    CaseStatus,
    DestructionCertificate,
    Document,
    DocumentStatus,
    Hold,
    HoldKind,
    NoteKind,
    PersonBase,
    ProvidedBy,
    ReferralSource,
    Tier,
)
from casevault.retention.decide import ActionKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonCreate(PersonBase, Strict):  # type: ignore[misc]  # SQLModel's own config TypedDict; pydantic merges both
    date_of_birth: RealDate


class CaseCreate(Strict):
    person_id: BodyId
    referral_date: RealDate
    referral_source: ReferralSource
    assigned_officer: str | None = Field(default=None, description="username; officers may only name themselves")


class CaseClose(Strict):
    closed_on: RealDate
    outcome: str = Field(min_length=1, max_length=2000)


class NoteCreate(CaseNoteBase, Strict):  # type: ignore[misc]  # SQLModel's own config TypedDict; pydantic merges both
    kind: NoteKind
    date: RealDate


class CasePublic(BaseModel):
    id: int
    reference: str
    person_id: int
    status: CaseStatus
    referral_date: dt.date
    referral_source: ReferralSource
    assigned_officer: str | None
    closed_on: dt.date | None
    outcome: str | None
    last_correspondence: dt.date | None
    archive_until: dt.date | None
    restore_problem: str | None = None  # why the last restore stopped, until one succeeds
    created_at: dt.datetime
    history: list[CaseClosurePublic] = []  # every closing, oldest first (filled when one case is read)

    @classmethod
    def of(cls, case: Case, *, officer: str | None) -> CasePublic:
        return cls(**case.model_dump(exclude={"assigned_officer_id", "updated_at"}), assigned_officer=officer)


class CaseList(BaseModel):
    cases: list[CasePublic]


class NotePublic(BaseModel):
    id: int
    case_id: int
    kind: NoteKind
    text: str
    date: dt.date
    created_at: dt.datetime

    @classmethod
    def of(cls, note: CaseNote) -> NotePublic:
        return cls(**note.model_dump(exclude={"author_id"}))


class NoteList(BaseModel):
    notes: list[NotePublic]


class DocumentPublic(BaseModel):
    id: int
    case_id: int
    original_filename: str
    content_type: str
    size: int
    sha256: str
    correspondence_date: dt.date
    provided_by: ProvidedBy
    status: DocumentStatus
    failure_reason: str | None
    pages: int | None
    tier: Tier
    created_at: dt.datetime

    @classmethod
    def of(cls, document: Document) -> DocumentPublic:
        fields = document.model_dump(exclude={"page_count", "uploaded_by", "updated_at"})
        return cls(**fields, pages=document.page_count)


class AuditEventPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    subject_type: str | None
    subject_id: str | None
    outcome: str
    details: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    events: list[AuditEventPublic]
    next_after_id: int | None


# --- holds ---------------------------------------------------------------------------------


class HoldCreate(Strict):
    person_id: BodyId | None = None
    case_id: BodyId | None = None
    kind: HoldKind
    reason: str = Field(min_length=1, max_length=2000)


class HoldPublic(BaseModel):
    id: int
    person_id: int | None
    case_id: int | None
    kind: HoldKind
    reason: str
    placed_by: int | None
    placed_at: dt.datetime
    released_at: dt.datetime | None
    released_by: int | None

    @classmethod
    def of(cls, hold: Hold) -> HoldPublic:
        return cls.model_validate(hold, from_attributes=True)


class HoldList(BaseModel):
    holds: list[HoldPublic]


# --- the lifecycle: what is due, approvals -------------------------------------------------


class DueItemPublic(BaseModel):
    kind: ActionKind
    person_id: int
    pseudonym: str
    full_name: str = Field(description="the person's name, for managers deciding; never logged")
    case_id: int | None
    case_reference: str | None = Field(description="the case acted on; None when the whole person is")
    case_references: list[str] = Field(description="every case of the person not destroyed, oldest first")
    rule: str
    schedule_version: str
    due_on: dt.date
    reason: str
    held: bool
    hold_ids: list[int]
    awaiting_approval: bool
    awaiting: str | None = Field(
        description="why a destruction waits for a manager's approval: 'open case' (always needed then),"
        " or 'approval required' (CASEVAULT_REQUIRE_DESTRUCTION_APPROVAL)"
    )


class DueList(BaseModel):
    as_of: dt.date
    until: dt.date  # everything due on or before this day: as_of + within_days
    items: list[DueItemPublic]
    unfinished: list[str]  # work a dead worker left, which the next sweep finishes first


class ApprovalCreate(Strict):
    person_id: BodyId | None = None
    pseudonym: str | None = None


class ApprovalPublic(BaseModel):
    person_id: int
    approved_by: int
    approved_at: dt.datetime


# --- destruction certificates --------------------------------------------------------------


class CertificatePublic(BaseModel):
    id: int
    subject: str
    destroyed_at: dt.datetime
    schedule_version: str
    rule: str
    cases: int
    documents: int
    objects: int
    object_versions: int
    bytes: int
    method: str
    authorised_by: str

    @classmethod
    def of(cls, row: DestructionCertificate) -> CertificatePublic:
        return cls.model_validate(row, from_attributes=True)


class CertificateList(BaseModel):
    certificates: list[CertificatePublic]


# --- search --------------------------------------------------------------------------------


class SearchHit(BaseModel):
    document_id: int
    case_id: int
    page: int
    snippet: str


class SearchResults(BaseModel):
    hits: list[SearchHit]


# --- history and warnings ------------------------------------------------------------------


class CaseClosurePublic(BaseModel):
    """One closing of a case; who closed and reopened it by username."""

    closed_on: dt.date
    outcome: str
    closed_by: str | None
    closed_at: dt.datetime
    reopened_at: dt.datetime | None
    reopened_by: str | None
    reopen_reason: str | None


class CaseReopen(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class DestructionTodoPublic(BaseModel):
    person_id: int
    full_name: str
    due_on: dt.date
    case_references: list[str]
    held: bool
    awaiting: str | None


class FailedDocumentTodoPublic(BaseModel):
    document_id: int
    case_id: int
    case_reference: str
    full_name: str
    failure_reason: str | None


class HoldTodoPublic(BaseModel):
    hold_id: int
    kind: HoldKind
    person_id: int
    full_name: str
    case_id: int | None
    case_references: list[str]
    placed_at: dt.datetime


class DestructionTodos(BaseModel):
    total: int
    items: list[DestructionTodoPublic]


class FailedDocumentTodos(BaseModel):
    total: int
    items: list[FailedDocumentTodoPublic]


class HoldTodos(BaseModel):
    total: int
    items: list[HoldTodoPublic]


class TodoPublic(BaseModel):
    """Each section holds its first 50 items and says how many there are in all."""

    as_of: dt.date
    until: dt.date  # destructions due up to this day (30 days ahead)
    destructions: DestructionTodos
    failed_documents: FailedDocumentTodos
    holds: HoldTodos


CasePublic.model_rebuild()  # its history field names a class defined above
