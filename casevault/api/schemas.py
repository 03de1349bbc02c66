"""What clients send and get back, every entity's shapes in this one place. Inputs
forbid unknown fields, so a typo is reported instead of silently ignored."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casevault.api.bounds import BodyId, LifeDate, Name, RealDate
from casevault.core.consent import Given
from casevault.core.models import (
    AccessRefusal,
    Case,
    CaseNote,
    CaseNoteBase,
    CaseNoteVersion,
    CaseStatus,
    Consent,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
    DestructionCertificate,
    Disclosure,
    Document,
    DocumentDisposal,
    DocumentStatus,
    Hold,
    HoldKind,
    LawfulBasis,
    NoteKind,
    NoticeMethod,
    OutcomeCode,
    PersonBase,
    ProvidedBy,
    ReferralSource,
    RequesterKind,
    Tier,
)
from casevault.core.release import Basis, Recipient
from casevault.core.statistics import By, Percent, ReleasedRow, ReleasedTable, Shown
from casevault.retention.decide import ActionKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonCreate(PersonBase, Strict):  # type: ignore[misc]  # SQLModel's own config TypedDict; pydantic merges both
    full_name: Name | None = Field(default=None, min_length=1, max_length=200, description="required unless anonymous")
    date_of_birth: LifeDate | None = Field(default=None, description="YYYY-MM-DD; required unless anonymous")
    anonymous: bool = Field(
        default=False,
        description="the person wants to stay anonymous: send no full_name, date_of_birth or contact_details;"
        " shown by a generated label, and recorded without the record_personal_details consent",
    )
    consent: ConsentGiven | None = Field(
        default=None,
        description="the permission to record them (record_personal_details), given now; required unless anonymous",
    )


class CaseCreate(Strict):
    person_id: BodyId | None = Field(default=None, description="someone you already see; or send person instead")
    person: PersonCreate | None = Field(
        default=None,
        description="the person as the referral names them: someone already recorded with the same name and"
        " date of birth is that person (a re-referral), anyone else is recorded now",
    )
    referral_date: LifeDate
    referral_source: ReferralSource
    assigned_officer: str | None = Field(default=None, description="username; officers may only name themselves")

    @model_validator(mode="after")
    def _one_person(self) -> Self:
        if (self.person_id is None) == (self.person is None):
            raise ValueError("send either person_id or person (as the referral names them), not both")
        return self


class CaseClose(Strict):
    closed_on: LifeDate
    outcome: str = Field(min_length=1, max_length=2000)
    outcome_code: OutcomeCode = Field(
        description="how the case ended, for the anonymised statistics (not_recorded is only for cases closed"
        " before codes existed)"
    )


class NoteCreate(CaseNoteBase, Strict):  # type: ignore[misc]  # SQLModel's own config TypedDict; pydantic merges both
    kind: NoteKind
    date: LifeDate


Usernames = Mapping[int, str]  # user id to username, for answers that name users


def _username(names: Usernames, user_id: int | None) -> str | None:
    return names.get(user_id) if user_id is not None else None


class CasePublic(BaseModel):
    id: int
    reference: str
    person_id: int
    person_name: str | None = None  # for callers who may see the person
    status: CaseStatus
    referral_date: dt.date
    referral_source: ReferralSource
    assigned_officer: str | None
    closed_on: dt.date | None
    outcome: str | None
    outcome_code: OutcomeCode | None = None
    last_correspondence: dt.date | None
    archive_until: dt.date | None
    restore_problem: str | None = None  # why the last restore stopped, until one succeeds
    re_referral: bool = False  # opened for someone already known, with earlier cases
    referral_declined: bool = False  # a third party's referral declined without the family's permission
    created_at: dt.datetime
    history: list[CaseClosurePublic] = []  # every closing, oldest first (filled when one case is read)

    @classmethod
    def of(cls, case: Case, *, officer: str | None, person_name: str | None = None) -> CasePublic:
        fields = case.model_dump(exclude={"assigned_officer_id", "updated_at"})
        return cls(**fields, assigned_officer=officer, person_name=person_name)


class NotePublic(BaseModel):
    id: int
    case_id: int
    kind: NoteKind
    text: str
    date: dt.date
    author: str | None = None  # username
    author_id: int | None = None
    created_at: dt.datetime

    @classmethod
    def of(cls, note: CaseNote, names: Usernames) -> NotePublic:
        return cls(**note.model_dump(), author=_username(names, note.author_id))


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
    uploaded_by: str | None = None  # username
    uploaded_by_id: int | None = None
    created_at: dt.datetime  # when it was uploaded

    @classmethod
    def of(cls, document: Document, names: Usernames) -> DocumentPublic:
        fields = document.model_dump(exclude={"page_count", "uploaded_by", "updated_at"})
        uploader = document.uploaded_by
        return cls(**fields, pages=document.page_count, uploaded_by=_username(names, uploader), uploaded_by_id=uploader)


class AuditEventPublic(BaseModel):
    id: int
    at: dt.datetime
    actor: str  # as stored and hashed: "user:3", "system", ...
    actor_username: str | None = None  # the user "user:3" names, when it is one
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
    placed_by: str | None  # username
    placed_by_id: int | None
    placed_at: dt.datetime
    released_at: dt.datetime | None
    released_by: str | None  # username
    released_by_id: int | None

    @classmethod
    def of(cls, hold: Hold, names: Usernames) -> HoldPublic:
        fields = hold.model_dump(exclude={"placed_by", "released_by"})
        return cls(
            **fields,
            placed_by=_username(names, hold.placed_by),
            placed_by_id=hold.placed_by,
            released_by=_username(names, hold.released_by),
            released_by_id=hold.released_by,
        )


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
    approved_by: str  # username
    approved_by_id: int
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
    subject_access_requests: int  # with their clock stops, items and redaction logs
    sar_bundles: int  # their objects are counted in objects and bytes
    method: str
    authorised_by: str  # the approving manager's username, or "system" (the schedule alone)
    authorised_by_id: int | None  # the approving manager's id

    @classmethod
    def of(cls, row: DestructionCertificate, names: Usernames) -> CertificatePublic:
        approver = approver_id(row.authorised_by)
        by = (names.get(approver) or f"user {approver}") if approver is not None else "system"
        return cls(**row.model_dump(exclude={"authorised_by"}), authorised_by=by, authorised_by_id=approver)


def approver_id(authorised_by: str) -> int | None:
    """The manager a stored authority names ("manager user:3, schedule ... rule ..."), if any;
    the schedule version and rule are fields of their own."""
    found = re.match(r"manager user:(\d+)", authorised_by)
    return int(found.group(1)) if found else None


class CertificateList(BaseModel):
    certificates: list[CertificatePublic]


# --- search --------------------------------------------------------------------------------


class SearchHit(BaseModel):
    """A page of a document or a case note whose words match; names as well as ids, since
    the one who searched may see them."""

    kind: Literal["page", "note"]
    case_id: int
    case_reference: str
    person_id: int
    person_name: str
    document_id: int | None = Field(None, description="pages only")
    filename: str | None = Field(None, description="pages only: the document's original file name")
    page: int | None = Field(None, description="pages only, from 1")
    note_id: int | None = Field(None, description="notes only")
    snippet: str = Field(description="the matching words marked «like this»")


# --- corrections ---


class PersonUpdate(Strict):
    """Only the fields sent change; ``contact_details: null`` removes them (consent withdrawn)."""

    full_name: Name | None = Field(default=None, min_length=1, max_length=200)
    date_of_birth: LifeDate | None = Field(default=None, description="YYYY-MM-DD, from 1900-01-01 to today")
    contact_details: str | None = Field(default=None, max_length=2000)


class Reason(Strict):
    reason: str = Field(min_length=1, max_length=2000, description="why this is corrected; kept with the correction")


class DocumentMoveRequest(Reason):
    case_id: BodyId


class DocumentDisposalPublic(BaseModel):
    id: int
    document_id: int
    case_id: int
    objects: int
    object_versions: int
    bytes: int
    disposed_at: dt.datetime
    disposed_by: str  # username
    disposed_by_id: int

    @classmethod
    def of(cls, row: DocumentDisposal, *, disposed_by: str) -> DocumentDisposalPublic:
        fields = row.model_dump(exclude={"disposed_by", "reason"})
        return cls(**fields, disposed_by=disposed_by, disposed_by_id=row.disposed_by)


class NoteAmend(Reason):
    text: str = Field(min_length=1, max_length=20_000)


class NoteVersionPublic(BaseModel):
    """An earlier text of a note: who wrote it when, who replaced it when and why."""

    note_id: int
    version: int
    text: str
    written_at: dt.datetime
    written_by: str | None  # username
    written_by_id: int | None
    replaced_at: dt.datetime
    replaced_by: str | None  # username
    replaced_by_id: int
    reason: str

    @classmethod
    def of(cls, row: CaseNoteVersion, names: Usernames) -> NoteVersionPublic:
        fields = row.model_dump(exclude={"id", "written_by", "replaced_by"})
        return cls(
            **fields,
            written_by=_username(names, row.written_by),
            written_by_id=row.written_by,
            replaced_by=_username(names, row.replaced_by),
            replaced_by_id=row.replaced_by,
        )


class CaseAssign(Strict):
    officer: str = Field(min_length=1, max_length=64, description="username of an active officer")


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
    consent_reviews: ConsentReviewTodos  # the young person's own consent to ask again (at 12 and 16)
    awaiting_permission: AwaitingPermissionTodos  # third parties' referrals without the family's permission
    subject_access: SubjectAccessTodos  # requests to answer, fewest days left first (warning at 7 and 2 days)


class SubjectAccessTodoPublic(BaseModel):
    request_id: int
    reference: str
    person_id: int
    full_name: str
    requester_kind: RequesterKind
    due_on: dt.date
    days_left: int  # frozen while the clock is stopped (paused)
    paused: bool
    warning: str | None  # "due soon" (7 days or fewer), "urgent" (2 or fewer), "overdue"


class SubjectAccessTodos(BaseModel):
    total: int
    items: list[SubjectAccessTodoPublic]


# --- consent and disclosures ---


class ConsentGiven(Strict):
    """Consents given in one conversation: one row per scope."""

    scopes: list[ConsentScope] = Field(
        default=[ConsentScope.record_personal_details], min_length=1, max_length=len(ConsentScope)
    )
    given_by: ConsentGiver
    parent_name: Name | None = Field(default=None, max_length=200, description="when a parent or carer gave it")
    relationship: str | None = Field(
        default=None, min_length=1, max_length=100, description="e.g. mother, foster carer"
    )
    how: ConsentMethod
    given_on: LifeDate | None = Field(default=None, description="today when left out")
    evidence_document_id: BodyId | None = Field(default=None, description="a document of this person: the signed form")
    notice_version: str | None = Field(default=None, min_length=1, max_length=32, description="the policy notice given")
    lawful_basis: LawfulBasis = LawfulBasis.consent
    review_on: RealDate | None = Field(default=None, description="when to ask again")

    def given(self) -> Given:
        return Given(
            scopes=tuple(self.scopes),
            given_by=self.given_by,
            method=self.how,
            given_on=self.given_on,
            parent_name=self.parent_name,
            relationship=self.relationship,
            evidence_document_id=self.evidence_document_id,
            notice_version=self.notice_version,
            lawful_basis=self.lawful_basis,
            review_on=self.review_on,
        )


class ConsentWithdrawal(Strict):
    how: ConsentMethod


class ConsentPublic(BaseModel):
    id: int
    person_id: int
    scope: ConsentScope
    standing: bool  # given and not withdrawn
    given_on: dt.date
    given_by: ConsentGiver | None
    parent_name: str | None
    relationship: str | None
    how: ConsentMethod | None
    evidence_document_id: int | None
    notice_version: str | None
    lawful_basis: LawfulBasis | None
    recorded_by: str | None  # username
    recorded_at: dt.datetime | None
    review_on: dt.date | None
    withdrawn_on: dt.date | None
    withdrawn_how: ConsentMethod | None
    withdrawn_at: dt.datetime | None
    withdrawn_by: str | None

    @classmethod
    def of(cls, row: Consent, names: Usernames) -> ConsentPublic:
        fields = row.model_dump(exclude={"method", "withdrawn_method", "recorded_by", "withdrawn_by"})
        return cls(
            **fields,
            standing=row.withdrawn_on is None,
            how=row.method,
            withdrawn_how=row.withdrawn_method,
            recorded_by=_username(names, row.recorded_by),
            withdrawn_by=_username(names, row.withdrawn_by),
        )


class ConsentList(BaseModel):
    items: list[ConsentPublic]


class AccessRefusalSet(Strict):
    refused: list[Recipient] = Field(
        max_length=len(Recipient), description="who may not see their records; an empty list withdraws the refusal"
    )
    method: ConsentMethod
    note: str | None = Field(default=None, max_length=2000)
    maturity_recorded: bool = Field(
        default=False, description="under 12: the officer records the young person's maturity and capacity"
    )


class AccessRefusalPublic(BaseModel):
    person_id: int
    refused: list[Recipient]  # empty: no refusal stands
    method: ConsentMethod | None
    note: str | None
    age_at_time: int | None
    maturity_recorded: bool
    recorded_at: dt.datetime | None

    @classmethod
    def of(cls, person_id: int, row: AccessRefusal | None) -> AccessRefusalPublic:
        if row is None:
            return cls(
                person_id=person_id,
                refused=[],
                method=None,
                note=None,
                age_at_time=None,
                maturity_recorded=False,
                recorded_at=None,
            )
        return cls(
            person_id=person_id,
            refused=[Recipient(kind) for kind in row.refused.split(",")],
            method=row.method,
            note=row.note,
            age_at_time=row.age_at_time,
            maturity_recorded=row.maturity_recorded,
            recorded_at=row.recorded_at,
        )


class DisclosureCreate(Strict):
    recipient_kind: Recipient
    recipient: str = Field(min_length=1, max_length=200, description="who receives it (a school, a named person)")
    documents: list[BodyId] = Field(default=[], max_length=500)
    basis: Basis
    reason: str | None = Field(default=None, max_length=2000, description="required for risk_of_harm, illegal_activity")


class MarkedDocument(BaseModel):
    document_id: int
    disclosed: bool
    reason: str


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


class DisclosurePublic(BaseModel):
    id: int
    case_id: int
    recipient_kind: Recipient
    recipient: str
    basis: Basis
    reason: str | None
    disclosed: list[int]  # document ids released
    withheld: list[int]  # document ids kept back (the release rules)
    documents: list[MarkedDocument] = []  # each with its reason, when just recorded
    status: Literal["recorded", "awaiting_approval", "approved"]
    recorded_by: int
    recorded_at: dt.datetime
    approved_by: int | None
    approved_at: dt.datetime | None
    hold_id: int | None

    @classmethod
    def of(cls, row: Disclosure, marked: Sequence[MarkedDocument] = ()) -> DisclosurePublic:
        exception = Basis(row.basis) is not Basis.consent
        status = "approved" if row.approved_by else "awaiting_approval" if exception else "recorded"
        fields = row.model_dump(exclude={"documents", "withheld"})
        return cls(
            **fields, disclosed=_ids(row.documents), withheld=_ids(row.withheld), documents=list(marked), status=status
        )


class DestroyedCounts(BaseModel):
    """What a declined referral's destruction removed, counted (the certificate holds the
    cases, documents, objects, versions and bytes; notes, consents and disclosures are
    counted as the decline started)."""

    people: int = Field(description="1 when the person had no other case and everything about them went, else 0")
    cases: int
    documents: int
    objects: int
    object_versions: int
    bytes: int
    notes: int
    consents: int
    disclosures: int


class ReferralDeclined(BaseModel):
    case_id: int
    case_reference: str
    certificate_id: int = Field(description="the destruction certificate (GET /certificates); it names no one")
    destroyed: DestroyedCounts


class PersonToDecide(BaseModel):
    person_id: int
    full_name: str = Field(description="the name, or an anonymous contact's generated label")
    withdrawn: list[ConsentScope] = Field(
        description="what was withdrawn: store_electronically (uploads refused), record_personal_details (name"
        " and contact details erased)"
    )


class ConsentReviewTodoPublic(BaseModel):
    person_id: int
    full_name: str
    age: int  # 12 or 16: the birthday since which their own consent has not been asked
    case_references: list[str]


class AwaitingPermissionTodoPublic(BaseModel):
    case_id: int
    case_reference: str
    person_id: int
    full_name: str
    referral_source: ReferralSource


class ConsentReviewTodos(BaseModel):
    total: int
    items: list[ConsentReviewTodoPublic]


class AwaitingPermissionTodos(BaseModel):
    total: int
    items: list[AwaitingPermissionTodoPublic]


CasePublic.model_rebuild()  # its history field names a class defined above


# --- notices and statistics ----------------------------------------------------------------

NOTICE_VERSION = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"


class PolicyVersionPublic(BaseModel):
    version: str
    published_at: dt.datetime
    sha256: str  # of the notice's text, as UTF-8


class PolicyVersionText(PolicyVersionPublic):
    text: str


class NoticeCreate(Strict):
    version: str = Field(min_length=1, max_length=32, pattern=NOTICE_VERSION, description="a published version")
    how: NoticeMethod = Field(description="how the person, or their parent or carer, was given it")


class NoticePublic(BaseModel):
    id: int
    person_id: int
    version: str
    how: NoticeMethod
    recorded_by: str | None  # username
    recorded_by_id: int
    recorded_at: dt.datetime


class NotificationPublic(BaseModel):
    """Someone whose parents or carers must be told of a version (listed when it was published)."""

    person_id: int
    full_name: str
    case_references: list[str] = Field(description="the person's active cases now")
    listed_at: dt.datetime
    told_at: dt.datetime | None
    notice_id: int | None = Field(description="the notice that told them (of this version or a later one)")


class StatisticsRow(BaseModel):
    period: str = Field(description="2026-Q3, 2026, or total (every period)")
    counts: dict[str, Shown] = Field(
        description="0, [c] (1 to 7, or the row's only non-zero cell), or rounded to the nearest 5"
    )
    total: Shown
    percentages: dict[str, Percent] = Field(
        description="of the row's total; null when that is under 20, [c] where the count is"
    )

    @classmethod
    def of(cls, row: ReleasedRow) -> StatisticsRow:
        return cls(period=row.period, counts=row.counts, total=row.total, percentages=row.percentages)


class StatisticsTablePublic(BaseModel):
    """A fixed table of cases, anonymised (every count through the disclosure control)."""

    model_config = ConfigDict(populate_by_name=True)

    table: str
    by: By
    from_: dt.date = Field(alias="from", description="the first day counted: from widened to a whole period")
    to: dt.date = Field(description="the last day counted: to widened to a whole period")
    counted_by: str = Field(description="which date puts a case in a period")
    columns: list[str]
    rows: list[StatisticsRow]
    total: StatisticsRow

    @classmethod
    def of(cls, released: ReleasedTable, *, table: str, by: By, start: dt.date, end: dt.date, counted_by: str) -> Self:
        return cls(
            table=table,
            by=by,
            from_=start,
            to=end,
            counted_by=counted_by,
            columns=released.columns,
            rows=[StatisticsRow.of(row) for row in released.rows],
            total=StatisticsRow.of(released.total),
        )


PersonCreate.model_rebuild()  # its consent field names a class defined below it
CaseCreate.model_rebuild()
TodoPublic.model_rebuild()
