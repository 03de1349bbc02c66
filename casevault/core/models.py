"""The domain model: what casevault knows about people, cases and documents.

SQLModel families per entity (``XBase`` shared fields, ``XCreate`` what a
client sends, ``XPublic`` what it gets back, ``X`` the table). Personal data
lives only in ``Person``, ``Case``, ``CaseNote``, ``Document``, ``PageText``
and ``Consent``; destruction removes those rows. Everything that outlives a
person (audit events, certificates) refers to ids or the pseudonym only.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from casevault.core.types import UTCDateTime, enum_column

# Byte totals pass 2 GiB; SQLite's INTEGER is 64-bit already (and its migrations say INTEGER).
BYTE_COUNT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# --- vocabularies -------------------------------------------------------------------


class Role(str, enum.Enum):
    officer = "officer"
    manager = "manager"
    admin = "admin"


class CaseStatus(str, enum.Enum):
    open = "open"
    closed = "closed"
    archived = "archived"
    restoring = "restoring"
    destroyed = "destroyed"


class ReferralSource(str, enum.Enum):
    young_person = "young_person"
    parent_carer = "parent_carer"
    professional = "professional"
    other = "other"


class OutcomeCode(str, enum.Enum):
    """How a case ended, from a fixed list, for the anonymised statistics (the free-text
    outcome says the rest). ``not_recorded``: closed before codes existed; never chosen."""

    advice_given = "advice_given"
    resolved_informally = "resolved_informally"
    ehcp_issued = "ehcp_issued"
    tribunal = "tribunal"
    referred_on = "referred_on"
    no_longer_needed = "no_longer_needed"
    withdrawn = "withdrawn"
    other = "other"
    not_recorded = "not_recorded"


class NoticeMethod(str, enum.Enum):
    """How a person (or their parent or carer) was given the policy notice."""

    verbal = "verbal"
    written = "written"
    email = "email"
    online = "online"


class ProvidedBy(str, enum.Enum):
    young_person = "young_person"
    parent_carer = "parent_carer"
    school = "school"
    professional = "professional"
    officer = "officer"


class DocumentStatus(str, enum.Enum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class Tier(str, enum.Enum):
    active = "active"
    archive = "archive"


class Variant(str, enum.Enum):
    original = "original"
    searchable = "searchable"
    words = "words"  # OCR word positions (JSON), for redacting a term; encrypted like the rest


# The variants that are PDFs a user may download (words are for redaction only).
PDF_VARIANTS = (Variant.original, Variant.searchable)


class NoteKind(str, enum.Enum):
    personal_details = "personal_details"
    progress_summary = "progress_summary"
    agreed_action = "agreed_action"
    final_outcome = "final_outcome"


class HoldKind(str, enum.Enum):
    safeguarding = "safeguarding"
    legal = "legal"
    subject_access = "subject_access"
    complaint = "complaint"


class ConsentScope(str, enum.Enum):
    """What a service user agreed to (the policy asks permission for each)."""

    record_personal_details = "record_personal_details"
    store_electronically = "store_electronically"
    keep_contact_details = "keep_contact_details"
    contact_professionals = "contact_professionals"
    third_party_referral = "third_party_referral"
    share_with_parent = "share_with_parent"


class ConsentGiver(str, enum.Enum):
    young_person = "young_person"
    parent_carer = "parent_carer"


class ConsentMethod(str, enum.Enum):
    """How a consent (or its withdrawal, or a refusal) was given."""

    verbal = "verbal"
    written = "written"
    email = "email"
    online = "online"


class LawfulBasis(str, enum.Enum):
    """The UK GDPR Article 6 basis relied on."""

    consent = "consent"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_pseudonym() -> str:
    """A random id that stands for a person outside the database (keys, certificates)."""
    return "p_" + secrets.token_hex(12)


def _enum(enum_type: type[enum.Enum], **column: Any) -> Any:
    return Field(sa_column=sa.Column(enum_column(enum_type), nullable=column.pop("nullable", False), **column))


def _maybe_enum(enum_type: type[enum.Enum]) -> Any:
    return Field(default=None, sa_column=sa.Column(enum_column(enum_type), nullable=True))


def _when(**column: Any) -> Any:
    return Field(
        default_factory=_utcnow,
        sa_column=sa.Column(UTCDateTime(), nullable=column.pop("nullable", False), **column),
    )


def _maybe_when(**column: Any) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True, **column))


# --- users ------------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    # Audit rows, certificates and URLs name ids, so a deleted row's id is never handed out
    # again: AUTOINCREMENT on SQLite (migration 0008) on every table whose ids they name;
    # PostgreSQL's serial sequences never go back.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    role: Role = _enum(Role)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = _when()
    revoked_at: dt.datetime | None = _maybe_when()
    # argon2id, for the web pages' sign-in; none until `casevault user password` sets one.
    password_hash: str | None = Field(default=None, max_length=255)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is kept here,
    so a copy of the database cannot be used to take over a session."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)  # every form of this session carries it
    created_at: dt.datetime = _when()
    last_seen_at: dt.datetime = _when()


# --- people -----------------------------------------------------------------------------


class PersonBase(SQLModel):
    # None for an anonymous contact (migration 0018), who is shown by a generated label.
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    date_of_birth: dt.date | None = Field(default=None, index=True)
    contact_details: str | None = Field(default=None, max_length=2000)


def anonymous_label(person_id: int | None) -> str:
    """What an anonymous contact is shown as: made from the id alone, so it names no one."""
    return f"Anonymous contact {person_id or 0:04d}"


def shown_name(person_id: int | None, full_name: str | None) -> str:
    """A person's name, or for an anonymous contact (no name) the generated label."""
    return full_name if full_name is not None else anonymous_label(person_id)


# Characters that reorder text (Trojan Source), and invisible ones that keep two names apart
# that read the same ("Ame\u200blia Smith" is not found as Amelia Smith, nor matched on a
# re-referral): a name must read, and be found, as it is stored. The zero-width joiner and
# non-joiner stay: several scripts spell names with them.
NAME_REFUSED = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # direction
    "\u200b\u2060\ufeff"  # zero-width space, word joiner, zero-width no-break space
)


def name_problem(name: str) -> str | None:
    """Why a name cannot be recorded as it is: the control, invisible and text-direction
    characters it holds; None when it holds none."""
    refused = sorted({char for char in name if char in NAME_REFUSED or unicodedata.category(char) == "Cc"})
    if not refused:
        return None
    codes = ", ".join(f"U+{ord(char):04X}" for char in refused)
    return f"names may not hold control, invisible or text-direction characters; remove {codes}"


def name_key(full_name: str | None) -> str:
    """A name as finding it needs: "  SMITH  Zoë" and "Zoe Smith" both give "smith zoe".
    Case, accents, spacing and word order are how a name is written, not who it names."""
    decomposed = unicodedata.normalize("NFKD", full_name or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(sorted(plain.split()))


class Person(PersonBase, table=True):
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(default_factory=new_pseudonym, max_length=32, unique=True)
    # Derived from full_name whenever the row is written (see _keep_name_key below).
    name_key: str = Field(default="")
    # Who recorded the person: she may open their first case before any case makes them hers.
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    # Recorded without a name, date of birth or contact details, or made so when the
    # permission to record personal details was withdrawn (migration 0018).
    anonymous: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: dt.datetime = _when()

    @property
    def label(self) -> str:
        """How the person is shown: the name, or the generated label of an anonymous contact."""
        return shown_name(self.id, self.full_name)


@sa.event.listens_for(Person, "before_insert")
@sa.event.listens_for(Person, "before_update")
def _keep_name_key(_mapper: Any, _connection: Any, person: Person) -> None:
    # Every path that sets a name (a route, a correction, a command, a test) writes the row.
    person.name_key = name_key(person.full_name)


class PersonPublic(PersonBase):
    id: int
    pseudonym: str
    anonymous: bool = False
    label: str = Field(description="the name, or for an anonymous contact a generated label naming no one")
    created_at: dt.datetime


# --- cases ------------------------------------------------------------------------------


class CaseBase(SQLModel):
    referral_date: dt.date
    referral_source: ReferralSource = _enum(ReferralSource)


class Case(CaseBase, table=True):
    __tablename__ = "case_file"
    __table_args__ = (
        sa.Index("ix_case_status_archive_until", "status", "archive_until"),
        sa.Index("ix_case_person_status", "person_id", "status"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True)
    person_id: int = Field(foreign_key="person.id")
    status: CaseStatus = _enum(CaseStatus, default=CaseStatus.open.value)
    assigned_officer_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    closed_on: dt.date | None = None
    outcome: str | None = Field(default=None, max_length=2000)
    outcome_code: OutcomeCode | None = _maybe_enum(OutcomeCode)
    # Derived from documents and notes, kept current by the services that add them.
    last_correspondence: dt.date | None = None
    # When a closed case's archive window ends (last correspondence + 12 months).
    archive_until: dt.date | None = None
    # Why the last restore stopped (ids only), shown to managers until a restore succeeds.
    restore_problem: str | None = Field(default=None, max_length=300)
    # Opened for someone already known, with earlier cases: managers review these.
    re_referral: bool = Field(default=False)
    # A third party's referral a manager declined without the family's permission (migration 0015).
    referral_declined: bool = Field(default=False)
    created_at: dt.datetime = _when()
    updated_at: dt.datetime = _when()


# --- notes ------------------------------------------------------------------------------


class CaseNoteBase(SQLModel):
    kind: NoteKind = _enum(NoteKind)
    text: str = Field(min_length=1, max_length=20_000)
    date: dt.date


class CaseNote(CaseNoteBase, table=True):
    __tablename__ = "case_note"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = _when()


# --- documents --------------------------------------------------------------------------


class Document(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("case_id", "sha256", name="uq_document_case_sha256"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    original_filename: str = Field(max_length=255)  # metadata only, never a path
    content_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    correspondence_date: dt.date
    provided_by: ProvidedBy = _enum(ProvidedBy)
    status: DocumentStatus = _enum(DocumentStatus, default=DocumentStatus.queued.value, index=True)
    failure_reason: str | None = Field(default=None, max_length=1000)
    page_count: int | None = None
    tier: Tier = _enum(Tier, default=Tier.active.value)
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = _when()
    updated_at: dt.datetime = _when()


class StoredObject(SQLModel, table=True):
    """One encrypted object in the store: a variant of a document.

    The row holds the object key (a random id), never a file path, and the
    plaintext's sha256 for fixity checks.
    """

    __tablename__ = "stored_object"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "variant", name="uq_stored_object_variant"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    variant: Variant = _enum(Variant)
    object_key: str = Field(max_length=64, unique=True)
    tier: Tier = _enum(Tier)
    sha256: str = Field(max_length=64)
    size: int  # plaintext bytes
    stored_size: int  # ciphertext bytes
    created_at: dt.datetime = _when()


class PageText(SQLModel, table=True):
    __tablename__ = "page_text"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "page", name="uq_page_text_page"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    page: int = Field(ge=1)
    text: str


# --- consent, holds ---------------------------------------------------------------------


class Consent(SQLModel, table=True):
    """One permission a service user gave, and its withdrawal (the row is kept: the register
    shows what stood when). The parent's name is personal data: destruction removes the row."""

    __table_args__ = ({"sqlite_autoincrement": True},)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    scope: ConsentScope = _enum(ConsentScope)
    given_on: dt.date
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    withdrawn_on: dt.date | None = None
    # Migration 0015: who gave it, how, on what notice and basis; nullable for rows from before.
    given_by: ConsentGiver | None = _enum(ConsentGiver, nullable=True)
    parent_name: str | None = Field(default=None, max_length=200)
    relationship: str | None = Field(default=None, max_length=100)
    method: ConsentMethod | None = _enum(ConsentMethod, nullable=True)
    # A document of the same person, checked when recorded. No foreign key: a destruction
    # deletes documents before consents, and a removed document leaves only its id.
    evidence_document_id: int | None = None
    notice_version: str | None = Field(default=None, max_length=32)
    lawful_basis: LawfulBasis | None = _enum(LawfulBasis, nullable=True)
    recorded_at: dt.datetime | None = _maybe_when()
    review_on: dt.date | None = None
    withdrawn_method: ConsentMethod | None = _enum(ConsentMethod, nullable=True)
    withdrawn_at: dt.datetime | None = _maybe_when()
    withdrawn_by: int | None = None  # a user id (added in place, so without a foreign key)


class Hold(SQLModel, table=True):
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    kind: HoldKind = _enum(HoldKind)
    reason: str = Field(max_length=2000)
    placed_by: int | None = Field(default=None, foreign_key="user_account.id")
    placed_at: dt.datetime = _when()
    released_at: dt.datetime | None = _maybe_when()
    released_by: int | None = Field(default=None, foreign_key="user_account.id")


# --- keys -------------------------------------------------------------------------------


class DataKey(SQLModel, table=True):
    """A person's data key, only ever stored wrapped by the key-encryption key.

    Deleting the row (and every backup of it) is crypto-shredding: every copy
    of the person's objects becomes unreadable.
    """

    __tablename__ = "data_key"

    subject: str = Field(primary_key=True, max_length=32)  # Person.pseudonym
    kek_id: str = Field(max_length=256)
    wrapped_key: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: dt.datetime = _when()
    rotated_at: dt.datetime | None = _maybe_when()


class DestroyedKey(SQLModel, table=True):
    """A pseudonym whose data key was destroyed. No key is made for it again, so an
    upload or OCR run racing the destruction cannot re-create it and store readable
    data of a destroyed person. The pseudonym is on the certificate already."""

    __tablename__ = "destroyed_key"

    subject: str = Field(primary_key=True, max_length=32)
    destroyed_at: dt.datetime = _when()


# --- audit and certificates (outlive the person: ids and pseudonyms only) --------------


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _when()
    actor: str = Field(max_length=64)  # "user:<id>", "system", "anonymous"
    action: str = Field(max_length=64, index=True)
    subject_type: str | None = Field(default=None, max_length=32)
    subject_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=16)  # ok | refused | failed
    details: str = Field(default="{}")  # canonical JSON, ids only
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """One row: the chain's last hash. Writers lock it so the chain stays a line."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = 0
    last_hash: str = Field(max_length=64)
    # From row ``mac_from`` on, each row's hash is an HMAC under the key ``mac_key_id``
    # names (a fingerprint, never the key); rows before it are plain SHA-256.
    mac_from: int | None = None
    mac_key_id: str | None = Field(default=None, max_length=32)


class AuthFailureTally(SQLModel, table=True):
    """Unauthenticated requests per client address and minute: the rate limit counts
    here (shared by every API process) and the audit log gets one row per bucket."""

    __tablename__ = "auth_failure_tally"

    address: str = Field(primary_key=True, max_length=64)
    minute: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), primary_key=True))
    count: int = 0
    audited: bool = Field(default=False, index=True)


class AuthLockout(SQLModel, table=True):
    """A client address refused without a token check until ``until``."""

    __tablename__ = "auth_lockout"

    address: str = Field(primary_key=True, max_length=64)
    until: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class DestructionCertificate(SQLModel, table=True):
    __tablename__ = "destruction_certificate"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=32, unique=True)  # pseudonym; names no one
    # No due date: at age 25 it would be the date of birth plus 25 years.
    destroyed_at: dt.datetime = _when()
    schedule_version: str = Field(max_length=32)
    rule: str = Field(max_length=64)
    cases: int
    documents: int
    objects: int
    object_versions: int
    bytes: int = Field(sa_type=BYTE_COUNT)
    method: str = Field(max_length=1000)  # also says until when backups may hold copies
    authorised_by: str = Field(max_length=200)
    subject_access_requests: int = 0  # with their clock stops, items and redaction logs
    sar_bundles: int = 0  # whose objects are counted in objects and bytes


# --- retention work: the lifecycle sweep's crash-safe bookkeeping -------------------------
# Ids, pseudonyms, rule ids and counts only: nothing here names anyone.


class DestructionJob(SQLModel, table=True):
    """A person's destruction under way: written before the first object is deleted,
    removed in the transaction that writes the certificate. It carries the counts
    across a crash, so a re-run finishes the destruction and certifies it once."""

    __tablename__ = "destruction_job"

    person_id: int = Field(primary_key=True)  # no foreign key: the person row goes first
    subject: str = Field(max_length=32, unique=True)  # the pseudonym
    schedule_version: str = Field(max_length=32)
    rule: str = Field(max_length=64)
    authorised_by: str = Field(max_length=200)
    started_at: dt.datetime = _when()
    cases: int = 0
    documents: int = 0
    objects: int = 0
    object_versions: int = 0
    bytes: int = Field(default=0, sa_type=BYTE_COUNT)
    subject_access_requests: int = 0
    sar_bundles: int = 0


class DestructionObject(SQLModel, table=True):
    """One object of a destruction under way, counted (every version, both tiers)
    before its deletion starts, in its own committed step: a crash mid-delete
    cannot lose its count, and a re-run does not count it twice."""

    __tablename__ = "destruction_object"

    person_id: int = Field(primary_key=True)
    object_key: str = Field(primary_key=True, max_length=64)
    versions: int
    bytes: int = Field(sa_type=BYTE_COUNT)


class DestructionApproval(SQLModel, table=True):
    """A manager's approval of one person's destruction (when the setting asks for one)."""

    __tablename__ = "destruction_approval"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    approved_by: int = Field(foreign_key="user_account.id")
    approved_at: dt.datetime = _when()


# --- operations: schedulers and metrics shared by every process --------------------------
# Names of periodic jobs and metrics only: nothing here names anyone.


class LeaseRecord(SQLModel, table=True):
    """Who may act on a named thing, until when: the beat scheduler ("beat"), a
    lifecycle item ("archive:case:12"), a document's OCR ("ocr:document:7").

    The holder renews it; another takes it only once it has run out or been
    released (the row deleted), so two never act at once (see core.lease).
    """

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)  # host and pid of a process, or a task id
    acquired_at: dt.datetime = _when()
    expires_at: dt.datetime = _when()


class ScheduledRun(SQLModel, table=True):
    """When beat last sent each periodic task: kept in the database, so a beat that
    takes over the lease carries on the schedule instead of starting it afresh."""

    __tablename__ = "scheduled_run"

    entry: str = Field(primary_key=True, max_length=64)
    last_run_at: dt.datetime = _when()
    total_run_count: int = 0


class MetricTotal(SQLModel, table=True):
    """A counter every process adds to in the same transaction as the work it counts
    (OCR pages, sweep outcomes, destructions), so /metrics on any API process shows
    the whole service, exactly, across restarts. Labels are fixed vocabularies."""

    __tablename__ = "metric_total"

    name: str = Field(primary_key=True, max_length=64)
    label: str = Field(primary_key=True, max_length=64, default="")
    value: float = 0.0


# --- corrections: a note's earlier texts, a misfiled document's move, a removal ----------
# The reason a person gives is free text, so it lives here, never in audit details. Rows
# that name a note, document or case go with it (ON DELETE CASCADE), so a destruction
# deletes them with the rows they describe.


def _part_of(target: str, **column: Any) -> Any:
    """A reference to the row this one describes: deleting that row deletes this one."""
    return Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), nullable=False, **column))


class CaseNoteVersion(SQLModel, table=True):
    """An earlier text of an amended note: what it said, who wrote it when, and who
    replaced it when and why. Version 1 is the text as first written."""

    __tablename__ = "case_note_version"
    __table_args__ = (sa.UniqueConstraint("note_id", "version", name="uq_case_note_version"),)

    id: int | None = Field(default=None, primary_key=True)
    note_id: int = _part_of("case_note.id")
    version: int
    text: str = Field(max_length=20_000)
    written_at: dt.datetime = _when()
    written_by: int | None = Field(default=None, foreign_key="user_account.id")
    replaced_at: dt.datetime = _when()
    replaced_by: int = Field(foreign_key="user_account.id")
    reason: str = Field(max_length=2000)


class DocumentMove(SQLModel, table=True):
    """A misfiled document moved to the right case."""

    __tablename__ = "document_move"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = _part_of("document.id", index=True)
    from_case_id: int = _part_of("case_file.id")
    to_case_id: int = _part_of("case_file.id")
    reencrypted: bool  # under another person's data key
    moved_by: int = Field(foreign_key="user_account.id")
    moved_at: dt.datetime = _when()
    reason: str = Field(max_length=2000)


class DocumentDisposal(SQLModel, table=True):
    """A document uploaded in error and removed: ids and counts (and the manager's reason),
    no name and no text. It goes with its case when the person is destroyed."""

    __tablename__ = "document_disposal"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(unique=True)  # no foreign key: the document row is gone
    case_id: int = _part_of("case_file.id", index=True)
    objects: int
    object_versions: int
    bytes: int = Field(sa_type=BYTE_COUNT)
    disposed_at: dt.datetime = _when()
    disposed_by: int = Field(foreign_key="user_account.id")
    reason: str = Field(max_length=2000)


# --- case history ------------------------------------------------------------------------


class CaseClosure(SQLModel, table=True):
    """One closing of a case, kept when the case is reopened and closed again, so every
    earlier outcome stays. Written at every close; a reopen fills the reopened_* fields.
    The outcome and reopen reason are personal text: destruction removes these rows."""

    __tablename__ = "case_closure"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    closed_on: dt.date
    outcome: str = Field(max_length=2000)
    closed_by: int | None = Field(default=None, foreign_key="user_account.id")
    closed_at: dt.datetime = _when()
    reopened_at: dt.datetime | None = _maybe_when()
    reopened_by: int | None = Field(default=None, foreign_key="user_account.id")
    reopen_reason: str | None = Field(default=None, max_length=2000)


# --- policy notices ----------------------------------------------------------------------


class PolicyVersion(SQLModel, table=True):
    """A published version of the service's privacy notice. The notice is the service's
    own text, not personal data: it is kept whole, with its sha256."""

    __tablename__ = "policy_version"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=32, unique=True)
    published_at: dt.datetime = _when()
    sha256: str = Field(max_length=64)
    text: str
    published_by: str = Field(max_length=64)  # an audit actor: "cli", "user:3"


class PolicyNotice(SQLModel, table=True):
    """A person (or their parent or carer) was given a version of the notice, and how.
    It goes with the person when they are destroyed."""

    __tablename__ = "policy_notice"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _part_of("person.id", index=True)
    version: str = Field(max_length=32, foreign_key="policy_version.version")
    how: NoticeMethod = _enum(NoticeMethod)
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: dt.datetime = _when()


class PolicyNotification(SQLModel, table=True):
    """Someone whose parents or carers must be told of a version: listed when it was
    published (the people of active cases then), told once a notice is recorded."""

    __tablename__ = "policy_notification"
    __table_args__ = (sa.UniqueConstraint("version", "person_id", name="uq_policy_notification_person"),)

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=32, foreign_key="policy_version.version")
    person_id: int = _part_of("person.id", index=True)
    listed_at: dt.datetime = _when()
    told_at: dt.datetime | None = _maybe_when()
    notice_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("policy_notice.id", ondelete="SET NULL"), nullable=True),
    )


# --- statistics --------------------------------------------------------------------------


class DestroyedCaseTally(SQLModel, table=True):
    """What the anonymised statistics count of a case whose person was destroyed: no id,
    no pseudonym, no date; bands and quarters only. Written in the destruction's transaction."""

    __tablename__ = "destroyed_case_tally"

    id: int | None = Field(default=None, primary_key=True)
    referral_source: ReferralSource = _enum(ReferralSource)
    age_band: str = Field(max_length=8)  # at referral: 0-4, 5-11, 12-15, 16-17, 18-25
    referral_year: int
    referral_quarter: int
    outcome_code: OutcomeCode | None = _maybe_enum(OutcomeCode)  # None: never closed
    closed_year: int | None = None
    closed_quarter: int | None = None


# --- the young person's say, disclosures (migration 0015) --------------------------------
# Personal text (a note, a recipient, a reason) lives in these rows, never in the audit log;
# they go with the person or case they describe (ON DELETE CASCADE) when it is destroyed.


class AccessRefusal(SQLModel, table=True):
    """A young person's refusal of access to their records by others (parents and carers
    included). One stands at a time: a new one, or a withdrawal, ends the last."""

    __tablename__ = "access_refusal"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _part_of("person.id", index=True)
    refused: str = Field(max_length=200)  # recipient kinds, comma-separated (see core.release)
    method: ConsentMethod = _enum(ConsentMethod)
    note: str | None = Field(default=None, max_length=2000)
    age_at_time: int  # whole years when recorded
    maturity_recorded: bool = False  # under 12: the officer recorded maturity and capacity
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: dt.datetime = _when()
    withdrawn_at: dt.datetime | None = _maybe_when()
    withdrawn_by: int | None = Field(default=None, foreign_key="user_account.id")
    withdrawn_method: ConsentMethod | None = _enum(ConsentMethod, nullable=True)


class Disclosure(SQLModel, table=True):
    """Information released from a case: to whom, on what basis, which documents."""

    __tablename__ = "disclosure"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = _part_of("case_file.id", index=True)
    recipient_kind: str = Field(max_length=32)
    recipient: str = Field(max_length=200)
    basis: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=2000)
    documents: str = Field(default="")  # ids released, comma-separated
    withheld: str = Field(default="")  # ids withheld, comma-separated
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: dt.datetime = _when()
    # Without consent (an exception): a second person, a manager, approves it.
    approved_by: int | None = Field(default=None, foreign_key="user_account.id")
    approved_at: dt.datetime | None = _maybe_when()
    hold_id: int | None = None  # the safeguarding hold an exception placed


# --- subject access requests (migration 0017) --------------------------------------------
# A request names its requester and may carry redaction terms (a third party's name): personal
# text that lives in these rows only (never in the audit log, keys or task arguments) and
# goes with the person when they are destroyed (ON DELETE CASCADE).


class RequesterKind(str, enum.Enum):
    young_person = "young_person"
    parent_carer = "parent_carer"
    representative = "representative"


class SarStatus(str, enum.Enum):
    open = "open"  # the clock runs
    paused = "paused"  # the clock is stopped: waiting for identity or clarification
    completed = "completed"  # answered (delivered) or closed; the hold goes after a set period


class ClockStopReason(str, enum.Enum):
    identity = "identity"
    clarification = "clarification"


class ItemDecision(str, enum.Enum):
    disclosed = "disclosed"
    partly_disclosed = "partly_disclosed"  # redacted
    withheld = "withheld"


class RedactionCategory(str, enum.Enum):
    third_party = "third_party"
    young_person_request = "young_person_request"  # withheld at the young person's request
    serious_harm = "serious_harm"
    other_exemption = "other_exemption"


class BundleStatus(str, enum.Enum):
    building = "building"
    built = "built"
    failed = "failed"
    approved = "approved"
    delivered = "delivered"
    destroyed = "destroyed"  # its objects deleted after the set period; the row remains


class SubjectAccessRequest(SQLModel, table=True):
    __tablename__ = "subject_access_request"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True)  # "SAR-" and random digits; names no one
    person_id: int = _part_of("person.id", index=True)
    requester_kind: RequesterKind = _enum(RequesterKind)
    requester_name: str = Field(max_length=200)
    authority: str | None = Field(default=None, max_length=2000)  # a representative's, as recorded
    maturity_recorded: bool = False  # a young person of 12 to 15: the officer recorded it
    received_on: dt.date
    due_on: dt.date  # recomputed when the clock stops, resumes or is extended
    status: SarStatus = _enum(SarStatus, default=SarStatus.open.value)
    extension_months: int = 0  # 0, 1 or 2
    extension_reason: str | None = Field(default=None, max_length=2000)
    extension_told_on: dt.date | None = None
    completed_on: dt.date | None = None
    hold_id: int | None = None  # the subject_access hold it placed
    hold_release_on: dt.date | None = None  # completed_on + the set period
    opened_by: int = Field(foreign_key="user_account.id")
    opened_at: dt.datetime = _when()


class SarClockStop(SQLModel, table=True):
    """The clock stopped (waiting for identity or clarification) and, later, resumed."""

    __tablename__ = "sar_clock_stop"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = _part_of("subject_access_request.id", index=True)
    reason: ClockStopReason = _enum(ClockStopReason)
    stopped_on: dt.date
    resumed_on: dt.date | None = None
    recorded_by: int = Field(foreign_key="user_account.id")


class SarItem(SQLModel, table=True):
    """A document or note of the person, marked for the request: disclosed, partly
    disclosed (redacted) or withheld, with the reason. Exactly one of the two ids is set."""

    __tablename__ = "sar_item"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = _part_of("subject_access_request.id", index=True)
    document_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=True)
    )
    note_id: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer, sa.ForeignKey("case_note.id", ondelete="CASCADE"), nullable=True)
    )
    decision: ItemDecision = _enum(ItemDecision)
    reason: str = Field(max_length=1000)


class SarRedaction(SQLModel, table=True):
    """The redaction log: a region of a page (fractions of its width and height, from the
    top left), or every occurrence of a term, removed from what the request releases."""

    __tablename__ = "sar_redaction"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = _part_of("subject_access_request.id", index=True)
    document_id: int = _part_of("document.id", index=True)
    page: int | None = None  # None: a term, on every page of the document
    left: float | None = None
    top: float | None = None
    width: float | None = None
    height: float | None = None
    term: str | None = Field(default=None, max_length=200)  # personal: destroyed with the person
    category: RedactionCategory = _enum(RedactionCategory)
    legal_basis: str = Field(max_length=500)
    redacted_by: int = Field(foreign_key="user_account.id")
    redacted_at: dt.datetime = _when()
    reviewed_by: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: dt.datetime | None = _maybe_when()


class SarBundle(SQLModel, table=True):
    """The bundle built for a request: one PDF and the notes as CSV, stored encrypted under
    the person's data key like every object; built by a worker task with progress."""

    __tablename__ = "sar_bundle"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = _part_of("subject_access_request.id", index=True)
    status: BundleStatus = _enum(BundleStatus, default=BundleStatus.building.value)
    progress: int = 0  # percent
    problem: str | None = Field(default=None, max_length=1000)  # why building failed
    pdf_key: str | None = Field(default=None, max_length=64, unique=True)
    csv_key: str | None = Field(default=None, max_length=64, unique=True)
    pages: int | None = None
    bytes: int = Field(default=0, sa_type=BYTE_COUNT)  # plaintext, both objects
    requested_by: int = Field(foreign_key="user_account.id")
    requested_at: dt.datetime = _when()
    built_at: dt.datetime | None = _maybe_when()
    approved_by: int | None = Field(default=None, foreign_key="user_account.id")
    approved_at: dt.datetime | None = _maybe_when()
    delivered_method: str | None = Field(default=None, max_length=32)
    delivered_on: dt.date | None = None
    destroy_on: dt.date | None = None  # delivered_on + the set period
    # Where each item lies in the PDF (migration 0021): JSON [[sar_item id, first page, last page], ...],
    # ids and numbers only; a withheld item has no pages (null, null). The index shown is built from it.
    page_spans: str | None = Field(default=None, max_length=100000)
