"""Declining a third party's referral destroys what was recorded for it, with a certificate.

Someone the referral brought to us for the first time is destroyed entirely, through the
destruction script: every row, every object version, the data key, and a certificate that
names no one. Someone we knew already keeps their other cases: only the referral's case goes
(its notes and their earlier texts, closures, disclosures, released holds, documents, and the
consents recorded with it), under a certificate of its own.

The distinctive words start with letters no other indexed word starts with, so the full-text
index cannot store them prefix-compressed (which grep would miss).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, col, func, select

from casevault.app.services import Services
from casevault.archive.audit_anchor import is_audit_object
from casevault.core.db import transaction
from casevault.core.models import (
    AccessRefusal,
    AuditEvent,
    Case,
    CaseClosure,
    CaseNote,
    CaseNoteVersion,
    CaseStatus,
    Consent,
    DataKey,
    DestroyedCaseTally,
    DestructionJob,
    Document,
    DocumentStatus,
    Hold,
    PageText,
    Person,
    ReferralSource,
    StoredObject,
    Tier,
)
from casevault.retention.destroy import open_job
from tests.ingest.scans import pdf_with_text_pages
from tests.ingest.uploads import run_ocr

API = "/api/v1"
NAME = "Xanthippe Zyzzogeton"
BORN = "2013-06-01"
PHONE = "07700 900317"
MOTHER = {"given_by": "parent_carer", "parent_name": "Ulrika Zyzzogeton", "relationship": "mother", "how": "verbal"}
SCOPES = ["record_personal_details", "store_electronically", "keep_contact_details"]
NOTE_WORD = "Quokkavelde"  # in the referral's note
LETTER_WORD = "Yarrowmist"  # in the letter uploaded to it
KEPT_WORD = "Wombatheath"  # in the note of a case that stays
PERSON_ROWS = (Person, Case, CaseNote, CaseNoteVersion, CaseClosure, Document, StoredObject, PageText, Consent, Hold)


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _refer(client: TestClient, headers: dict, *, scopes: list[str], source: str = "professional") -> dict:
    person = {"full_name": NAME, "date_of_birth": BORN, "consent": {**MOTHER, "scopes": scopes}}
    if "keep_contact_details" in scopes:
        person["contact_details"] = PHONE
    body = {"person": person, "referral_date": "2026-09-01", "referral_source": source}
    return _ok(client.post(f"{API}/cases", json=body, headers=headers), 201)


def _hold(client: TestClient, headers: dict, case_id: int) -> dict:
    body = {"case_id": case_id, "kind": "complaint", "reason": "A complaint about the referral."}
    return _ok(client.post(f"{API}/holds", json=body, headers=headers), 201)


def _note(client: TestClient, headers: dict, case_id: int, text: str) -> dict:
    body = {"kind": "progress_summary", "text": text, "date": "2026-09-02"}
    return _ok(client.post(f"{API}/cases/{case_id}/notes", json=body, headers=headers), 201)


def _consent(client: TestClient, headers: dict, person_id: int, *scopes: str) -> list[dict]:
    body = {"scopes": list(scopes), **MOTHER}
    return _ok(client.post(f"{API}/people/{person_id}/consents", json=body, headers=headers), 201)["items"]


def _upload(client: TestClient, headers: dict, case_id: int, path: Path) -> int:
    with path.open("rb") as body:
        answer = client.post(
            f"{API}/cases/{case_id}/documents",
            files={"file": (path.name, body, "application/pdf")},
            data={"correspondence_date": "2026-09-03", "provided_by": "school"},
            headers=headers,
        )
    return _ok(answer, 202)["id"]


def _files(container: Services) -> list[Path]:
    """The data directory's files and the SQLite database's (its file, write-ahead log and shared memory)."""
    database = Path(container.engine.url.database or "")
    beside = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    return [path for path in (*container.settings.data_dir.rglob("*"), *beside) if path.is_file()]


def _found(container: Services, told: str) -> list[str]:
    """Files holding ``told`` (as written, or lower-cased as the index keeps words)."""
    needles = {told.encode(), told.lower().encode()}
    return sorted(path.name for path in _files(container) if any(needle in path.read_bytes() for needle in needles))


def _on_sqlite(container: Services) -> bool:
    return container.engine.dialect.name == "sqlite"


def _objects(container: Services) -> list[str]:
    """Every object version and delete marker in every tier, but the audit trail's and the ledger's."""
    store = container.vault.store
    return [
        f"{v.key}@{v.version_id}" for tier in Tier for v in store.list_versions(tier=tier) if not is_audit_object(v.key)
    ]


def _count(container: Services, table: type[SQLModel], *where: object) -> int:
    with container.new_session() as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def _rows_naming_case(container: Services, case_id: int) -> dict[str, int]:
    """Rows of every table with a column that points at a case, pointing at this one."""
    found = {}
    with container.new_session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if any(key.column.table.name == "case_file" for key in column.foreign_keys):
                    rows = session.execute(select(func.count()).select_from(table).where(column == case_id)).scalar()
                    if rows:
                        found[f"{table.name}.{column.name}"] = rows
    return found


def test_declining_a_referral_of_someone_new_destroys_them_entirely_with_a_certificate(
    client: TestClient, container: Services, headers, storage, tmp_path: Path
) -> None:
    olive, maya = headers["olive"], headers["maya"]
    case = _refer(client, olive, scopes=SCOPES)
    person_id, case_id = case["person_id"], case["id"]
    pseudonym = _ok(client.get(f"{API}/people/{person_id}", headers=olive))["pseudonym"]
    note = _note(client, olive, case_id, f"School says {NOTE_WORD} first.")
    _ok(client.patch(f"{API}/notes/{note['id']}", json={"text": f"{NOTE_WORD} then.", "reason": "typo"}, headers=olive))
    # Permission given, a letter uploaded, permission withdrawn: the referral awaits it again.
    [permission] = _consent(client, olive, person_id, "third_party_referral")
    letter = pdf_with_text_pages(tmp_path / "letter.pdf", [(f"Letter about {LETTER_WORD}",)])
    assert run_ocr(container, _upload(client, olive, case_id, letter)) is DocumentStatus.ready
    _ok(client.post(f"{API}/consents/{permission['id']}/withdraw", json={"how": "email"}, headers=olive))
    told = [*NAME.split(), BORN, PHONE, NOTE_WORD, LETTER_WORD, *MOTHER["parent_name"].split()]
    if _on_sqlite(container):  # the same grep finds them while they exist, so its silence later means something
        assert {word: bool(_found(container, word)) for word in told} == dict.fromkeys(told, True)
    stored = _count(container, StoredObject)  # the letter's original, searchable PDF and word positions
    assert stored >= 2 and _objects(container) and container.vault.has_key(subject=pseudonym)

    # A standing hold stops it, saying which.
    hold = _hold(client, maya, case_id)
    held = client.post(f"{API}/cases/{case_id}/decline-referral", headers=maya)
    assert held.status_code == 409 and f"hold {hold['id']}" in held.json()["detail"], held.text
    assert _count(container, Person) == 1 and _count(container, DestructionJob) == 0
    _ok(client.delete(f"{API}/holds/{hold['id']}", headers=maya))

    declined = _ok(client.post(f"{API}/cases/{case_id}/decline-referral", headers=maya))

    destroyed = declined["destroyed"]
    assert (declined["case_id"], declined["case_reference"]) == (case_id, case["reference"])
    assert (destroyed["people"], destroyed["cases"], destroyed["documents"]) == (1, 1, 1)
    assert (destroyed["notes"], destroyed["consents"], destroyed["disclosures"]) == (1, 4, 0)
    assert destroyed["objects"] == stored and destroyed["object_versions"] >= stored and destroyed["bytes"] > 0
    # Gone: every row, every object version in every tier, the data key, the words from search.
    assert {table.__name__: _count(container, table) for table in PERSON_ROWS} == dict.fromkeys(
        (table.__name__ for table in PERSON_ROWS), 0
    )
    assert _count(container, AccessRefusal) == _count(container, DataKey) == _count(container, DestructionJob) == 0
    assert _objects(container) == [] and not container.vault.has_key(subject=pseudonym)
    assert _ok(client.get(f"{API}/search", params={"q": LETTER_WORD}, headers=maya))["items"] == []
    assert client.get(f"{API}/people/{person_id}", headers=maya).status_code == 404
    assert client.post(f"{API}/cases/{case_id}/decline-referral", headers=maya).status_code == 404
    # The certificate is the normal one: the pseudonym, counts, the rule, the manager; no one named.
    [certificate] = _ok(client.get(f"{API}/certificates", headers=maya))["certificates"]
    assert certificate["id"] == declined["certificate_id"] and certificate["subject"] == pseudonym
    assert (certificate["rule"], certificate["authorised_by"], certificate["cases"]) == ("referral-declined", "maya", 1)
    assert "data key destroyed" in certificate["method"]
    assert [word for word in told if word.lower() in str(certificate).lower()] == []
    if _on_sqlite(container):
        assert {word: _found(container, word) for word in told} == {word: [] for word in told}
    with container.new_session() as session:
        [audited] = session.exec(select(AuditEvent).where(AuditEvent.action == "referral.decline")).all()
        tallies = session.exec(select(DestroyedCaseTally)).all()
    assert [(t.referral_source, t.age_band) for t in tallies] == [(ReferralSource.professional, "12-15")]
    assert audited.subject_id == str(case_id) and '"destroys":"person"' in audited.details.replace(" ", "")


def test_declining_a_re_referral_destroys_only_that_case_and_what_was_recorded_with_it(
    client: TestClient, container: Services, headers, storage, tmp_path: Path
) -> None:
    olive, maya = headers["olive"], headers["maya"]
    kept = _refer(client, olive, scopes=SCOPES, source="parent_carer")
    person_id = kept["person_id"]
    pseudonym = _ok(client.get(f"{API}/people/{person_id}", headers=olive))["pseudonym"]
    _note(client, olive, kept["id"], f"Mother asked about {KEPT_WORD}.")
    kept_consents = {row["id"] for row in _ok(client.get(f"{API}/people/{person_id}/consents", headers=olive))["items"]}
    # The school refers her again: she is known, and the consent it carries is recorded for her.
    referral = _refer(client, olive, scopes=["contact_professionals"])
    assert referral["person_id"] == person_id and referral["re_referral"] is True
    case_id = referral["id"]
    note = _note(client, olive, case_id, f"School says {NOTE_WORD} first.")
    _ok(client.patch(f"{API}/notes/{note['id']}", json={"text": f"{NOTE_WORD} then.", "reason": "typo"}, headers=olive))
    to_school = {"recipient_kind": "school", "recipient": "Head teacher", "basis": "consent", "documents": []}
    _ok(client.post(f"{API}/cases/{case_id}/disclosures", json=to_school, headers=olive), 201)
    [permission] = _consent(client, olive, person_id, "third_party_referral")
    letter = pdf_with_text_pages(tmp_path / "letter.pdf", [(f"Letter about {LETTER_WORD}",)])
    assert run_ocr(container, _upload(client, olive, case_id, letter)) is DocumentStatus.ready
    _ok(client.post(f"{API}/consents/{permission['id']}/withdraw", json={"how": "email"}, headers=olive))
    hold = _hold(client, maya, case_id)
    _ok(client.delete(f"{API}/holds/{hold['id']}", headers=maya))  # released: a row that goes with the case
    stored = _count(container, StoredObject)  # the letter's: no other case has documents
    assert stored >= 2 and len(_objects(container)) >= stored and _rows_naming_case(container, case_id)
    if _on_sqlite(container):
        assert _found(container, NOTE_WORD) and _found(container, LETTER_WORD)

    declined = _ok(client.post(f"{API}/cases/{case_id}/decline-referral", headers=maya))

    destroyed = declined["destroyed"]
    assert (destroyed["people"], destroyed["cases"], destroyed["documents"], destroyed["objects"]) == (0, 1, 1, stored)
    assert (destroyed["notes"], destroyed["consents"], destroyed["disclosures"]) == (1, 1, 1)
    # The case and everything hanging on it are gone, its objects in every version too.
    assert _rows_naming_case(container, case_id) == {}
    assert client.get(f"{API}/cases/{case_id}", headers=maya).status_code == 404
    assert _count(container, CaseNoteVersion) == 0 and _count(container, Document) == 0
    assert (
        _objects(container) == []
        and _ok(client.get(f"{API}/search", params={"q": LETTER_WORD}, headers=maya))["items"] == []
    )
    # She stays, with her other case, its note, her data key and the consents given before.
    assert _ok(client.get(f"{API}/people/{person_id}", headers=olive))["full_name"] == NAME
    assert [c["id"] for c in _ok(client.get(f"{API}/people/{person_id}/cases", headers=maya))["items"]] == [kept["id"]]
    assert [n["text"] for n in _ok(client.get(f"{API}/cases/{kept['id']}/notes", headers=olive))["items"]] == [
        f"Mother asked about {KEPT_WORD}."
    ]
    left = {
        row["id"]: row["scope"] for row in _ok(client.get(f"{API}/people/{person_id}/consents", headers=maya))["items"]
    }
    assert set(left) == kept_consents | {permission["id"]} and "contact_professionals" not in left.values()
    assert container.vault.has_key(subject=pseudonym)
    # A certificate of its own, listed with the others, naming no one and no person's pseudonym.
    [certificate] = _ok(client.get(f"{API}/certificates", headers=maya))["certificates"]
    assert certificate["id"] == declined["certificate_id"] and certificate["subject"] != pseudonym
    assert (certificate["rule"], certificate["cases"], certificate["documents"]) == ("referral-declined", 1, 1)
    assert certificate["authorised_by"] == "maya" and certificate["object_versions"] >= stored
    assert certificate["subject"].startswith("c_") and pseudonym not in str(certificate)
    told = [*NAME.split(), BORN, PHONE, NOTE_WORD, LETTER_WORD]
    assert [word for word in told if word.lower() in str(certificate).lower()] == []
    if _on_sqlite(container):
        assert (_found(container, NOTE_WORD), _found(container, LETTER_WORD)) == ([], [])
        assert _found(container, KEPT_WORD)
    # The statistics still count it, naming no one.
    with container.new_session() as session:
        tallies = session.exec(select(DestroyedCaseTally).order_by(col(DestroyedCaseTally.id))).all()
    assert [(t.referral_source, t.age_band) for t in tallies] == [(ReferralSource.professional, "12-15")]
    assert client.post(f"{API}/cases/{case_id}/decline-referral", headers=maya).status_code == 404


def test_only_a_referral_awaiting_permission_is_declined(
    client: TestClient, container: Services, headers, storage
) -> None:
    olive, maya = headers["olive"], headers["maya"]
    by_family = _refer(client, olive, scopes=SCOPES, source="parent_carer")
    school = _refer(client, olive, scopes=["contact_professionals"])
    _consent(client, olive, school["person_id"], "third_party_referral")
    for case in (by_family, school):
        refused = client.post(f"{API}/cases/{case['id']}/decline-referral", headers=maya)
        assert refused.status_code == 409 and "awaiting permission" in refused.json()["detail"], refused.text
    assert client.post(f"{API}/cases/999999/decline-referral", headers=maya).status_code == 404
    assert _count(container, Case) == 2 and _count(container, Person) == 1


@pytest.mark.parametrize("only_case", [True, False], ids=["person", "case"])
def test_a_decline_a_crash_interrupted_is_finished_by_declining_again(
    client: TestClient, container: Services, headers, storage, only_case: bool
) -> None:
    """What the decline commits before it deletes anything is its journal: a person's
    destruction job, or the case marked destroyed. Written here as a crash leaves it."""
    olive, maya = headers["olive"], headers["maya"]
    if not only_case:
        _refer(client, olive, scopes=SCOPES, source="parent_carer")
    case = _refer(client, olive, scopes=["record_personal_details"] if only_case else ["contact_professionals"])
    _note(client, olive, case["id"], f"School says {NOTE_WORD} first.")
    with transaction(container.new_session) as session:
        row = session.get(Case, case["id"])
        person = session.get(Person, case["person_id"])
        assert row is not None and person is not None
        row.referral_declined, row.status = True, CaseStatus.destroyed
        session.add(row)
        if only_case:
            open_job(
                session,
                container.lifecycle,
                person_id=person.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
                subject=person.pseudonym,
                schedule_version=container.schedule.version,
                rule="referral-declined",
                authorised_by="manager user:1, rule referral-declined",
            )

    declined = _ok(client.post(f"{API}/cases/{case['id']}/decline-referral", headers=maya))

    assert (declined["destroyed"]["people"], declined["destroyed"]["cases"]) == (int(only_case), 1)
    assert _count(container, Case) == (0 if only_case else 1) and _count(container, CaseNote) == 0
    assert _count(container, Person) == (0 if only_case else 1) and _count(container, DestructionJob) == 0
    [certificate] = _ok(client.get(f"{API}/certificates", headers=maya))["certificates"]
    assert certificate["id"] == declined["certificate_id"] and certificate["rule"] == "referral-declined"
    assert client.post(f"{API}/cases/{case['id']}/decline-referral", headers=maya).status_code == 404
