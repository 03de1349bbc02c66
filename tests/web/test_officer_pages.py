"""The officers' pages: who may open each, their forms (each refused without its CSRF
token), and what they do, through the same use cases as the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import (
    AuditEvent,
    Case,
    CaseNote,
    CaseStatus,
    Consent,
    Document,
    DocumentStatus,
    NoteKind,
    Person,
    User,
)
from casevault.core.settings import Settings, load_settings
from casevault.ingest.search import MARK_END, MARK_START
from casevault.web.officer_pages import marked
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import run_ocr
from tests.web_officer import date_fields, error_summary, main_text, send_form, upload_files
from tests.web_pages import ORIGIN, form_token, sign_in

USERNAMES = {"officer": "olive", "other_officer": "oscar", "manager": "maya", "admin": "adam"}
ROLES = ["officer", "other_officer", "manager", "admin", "anonymous"]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """As tests/web/conftest.py's, with uploads capped at 1 MiB so a test can pass the cap."""
    return load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        auth_failures_per_minute=3,
        auth_lockout_failures=5,
        max_upload_mb=1,
    )


@pytest.fixture
def storage(container: Services) -> None:
    init_storage(container.settings)  # data keys and the object store: uploads and the to-do need them


@pytest.fixture
def scans(tmp_path: Path) -> list[Path]:
    return [
        save(text_strip(), tmp_path / "review.png"),
        save(text_strip(("Transport to school agreed", "Speech therapy twice weekly")), tmp_path / "transport.png"),
    ]


@pytest.fixture
def note(container: Services, users: dict[str, User], cases: dict[str, Case]) -> CaseNote:
    with transaction(container.new_session) as session:
        written = CaseNote(
            case_id=cases["officer"].id,  # type: ignore[arg-type]  # a stored case
            kind=NoteKind.progress_summary,
            text="Met the family; therapy agreed",
            date=dt.date(2026, 10, 5),
            author_id=users["officer"].id,
            created_at=container.clock.now(),
        )
        session.add(written)
        session.flush()
        session.expunge(written)
        return written


@pytest.fixture
def ready_document(
    client: TestClient, container: Services, storage: None, users, cases: dict[str, Case], scans: list[Path]
) -> int:
    """A scan on olive's case, uploaded through the form and read by the OCR task here."""
    sign_in(client, "olive")
    assert upload_files(client, cases["officer"].id, scans[:1]).status_code == 303  # type: ignore[arg-type]
    client.cookies.clear()
    with container.new_session() as session:
        document = session.exec(select(Document)).one()
    assert run_ocr(container, document.id) == DocumentStatus.ready  # type: ignore[arg-type]
    return document.id  # type: ignore[return-value]


def _sign_in_as(client: TestClient, role: str) -> None:
    client.cookies.clear()
    if role != "anonymous":
        assert sign_in(client, USERNAMES[role]).status_code == 303


# --- who may open which page ------------------------------------------------------------

# 200 the page, 404 the not-found page (or a bare 404 for an image or JSON), "/" the sign-in page.
EVERYONE_WHO_DOES_CASEWORK = {"officer": 200, "other_officer": 200, "manager": 200, "admin": 404, "anonymous": "/"}
OLIVES_ONLY = {"officer": 200, "other_officer": 404, "manager": 200, "admin": 404, "anonymous": "/"}


@pytest.mark.parametrize("role", ROLES)
def test_each_page_for_each_role(
    client: TestClient, users, cases: dict[str, Case], note: CaseNote, ready_document: int, role: str
) -> None:
    case_id = cases["officer"].id
    paths = {
        "/people": EVERYONE_WHO_DOES_CASEWORK,
        "/people?name=jamie": EVERYONE_WHO_DOES_CASEWORK,
        "/referrals/new": EVERYONE_WHO_DOES_CASEWORK,
        "/search?q=therapy": EVERYONE_WHO_DOES_CASEWORK,
        "/todo": EVERYONE_WHO_DOES_CASEWORK,
        f"/cases/{case_id}": OLIVES_ONLY,
        f"/cases/{case_id}/documents/status": OLIVES_ONLY,
        f"/notes/{note.id}": OLIVES_ONLY,
        f"/documents/{ready_document}": OLIVES_ONLY,
        f"/documents/{ready_document}?page=1": OLIVES_ONLY,
        f"/documents/{ready_document}/pages/1/image": OLIVES_ONLY,
        f"/documents/{ready_document}/pages/1/image?size=small": OLIVES_ONLY,
        f"/documents/{ready_document}/file?variant=original": OLIVES_ONLY,
        f"/documents/{ready_document}/file?variant=searchable": OLIVES_ONLY,
    }
    _sign_in_as(client, role)
    for path, expected in paths.items():
        answer = client.get(path, follow_redirects=False)
        if isinstance(expected[role], str):
            assert (answer.status_code, answer.headers.get("location")) == (303, "/"), (path, role)
            continue
        assert answer.status_code == expected[role], (path, role)
        assert answer.headers["cache-control"] == "no-store", path
        if answer.status_code == 404 and "text/html" in answer.headers.get("content-type", ""):
            assert "Page not found" in answer.text


def test_what_another_officer_may_not_see_looks_missing(
    client: TestClient, users, cases: dict[str, Case], note: CaseNote, ready_document: int
) -> None:
    sign_in(client, "oscar")
    for hidden, missing in [
        (f"/cases/{cases['officer'].id}", "/cases/999999"),
        (f"/notes/{note.id}", "/notes/999999"),
        (f"/documents/{ready_document}", "/documents/999999"),
        (f"/documents/{ready_document}/file", "/documents/999999/file"),
    ]:
        refused, absent = client.get(hidden), client.get(missing)
        assert refused.status_code == absent.status_code == 404
        assert main_text(refused.text) == main_text(absent.text)
        assert "Jamie Example" not in refused.text
    image = client.get(f"/documents/{ready_document}/pages/1/image")
    assert image.status_code == 404 and image.content == client.get("/documents/999999/pages/1/image").content
    status = client.get(f"/cases/{cases['officer'].id}/documents/status")
    assert status.status_code == 404 and status.json() == client.get("/cases/999999/documents/status").json()


def test_forms_are_refused_without_their_token_or_from_another_site(
    client: TestClient, container: Services, storage: None, users, cases: dict[str, Case], note: CaseNote, scans
) -> None:
    case_id = cases["officer"].id
    sign_in(client, "olive")
    token = form_token(client.get(f"/cases/{case_id}").text)
    forms = {
        "/referrals": {"full-name": "Alex Example", **date_fields("dob", "2012-01-01"), "source": "other"}
        | PERMISSION
        | date_fields("referred", "2026-11-01"),
        f"/cases/{case_id}/notes": {"note-kind": "progress_summary", "note-text": "x"}
        | date_fields("note-date", "2026-11-01"),
        f"/notes/{note.id}": {"amend-text": "changed", "amend-reason": "typo"},
        f"/cases/{case_id}/close": {"close-outcome": "done", "close-outcome-code": "advice_given"}
        | date_fields("close-date", "2026-11-01"),
        f"/cases/{case_id}/reopen": {"reopen-reason": "again"},
    }
    for action, fields in forms.items():
        for token_sent, headers in [
            ("", ORIGIN),
            ("not-the-token", ORIGIN),
            (token, {"Origin": "https://elsewhere.example"}),
            (token, {}),
        ]:
            answer = client.post(action, data={"csrf_token": token_sent, **fields}, headers=headers)
            assert answer.status_code == 403, (action, token_sent, headers)
            assert "the form could not be sent" in answer.text
    assert upload_files(client, case_id, scans, token="not-the-token").status_code == 403  # type: ignore[arg-type]
    with container.new_session() as session:
        assert session.exec(select(Document)).all() == []
        assert session.get(Case, case_id).status == CaseStatus.open  # type: ignore[union-attr]
        assert session.get(CaseNote, note.id).text == note.text  # type: ignore[union-attr]
        assert [p.full_name for p in session.exec(select(Person)).all()] == ["Jamie Example", "Sam Example"]


# --- finding a person and opening a referral ------------------------------------------------

PERMISSION = {"consent-by": "young_person", "consent-how": "verbal"}


def test_a_referral_records_the_permission_it_was_given(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "olive")
    fields = {"full-name": "Robin Newcomer", **date_fields("dob", "2014-02-03"), "source": "parent_carer"}
    fields |= date_fields("referred", "2026-11-02") | {"consent-by": "parent_carer", "consent-how": "written"}
    fields |= {"contact": "07700 900123"}
    refused = send_form(client, "/referrals/new", "/referrals", fields)
    assert refused.status_code == 422
    assert error_summary(refused.text) == [
        "Enter the name of the parent or carer who gave permission",
        "Enter their relationship to the young person",
        "Tick that they agreed we keep their contact details, or leave the contact details out",
    ]
    fields |= {"parent-name": "Dana Newcomer", "relationship": "mother", "keep-contact": "yes"}
    opened = send_form(client, "/referrals/new", "/referrals", fields)
    assert opened.status_code == 303
    with container.new_session() as session:
        person = session.exec(select(Person).where(Person.full_name == "Robin Newcomer")).one()
        given = session.exec(select(Consent).where(Consent.person_id == person.id)).all()
    assert person.contact_details == "07700 900123"
    assert sorted(row.scope.value for row in given) == ["keep_contact_details", "record_personal_details"]
    assert {(row.parent_name, row.relationship) for row in given} == {("Dana Newcomer", "mother")}


def test_an_officer_finds_a_person_and_opens_a_referral_then_a_re_referral(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "olive")
    found = client.get("/people", params={"name": "jam", **date_fields("dob", "2012-03-04")})
    assert "Jamie Example" in main_text(found.text) and cases["officer"].reference in found.text
    assert "Sam Example" not in client.get("/people", params={"name": "sam"}).text  # oscar's: not hers

    fields = {"full-name": "Alex Newcomer", **date_fields("dob", "2013-05-06"), "source": "parent_carer"}
    fields |= PERMISSION | date_fields("referred", "2026-11-02")
    opened = send_form(client, "/referrals/new", "/referrals", fields)
    assert opened.status_code == 303
    first = client.get(opened.headers["location"])
    assert "Alex Newcomer" in main_text(first.text) and "Re-referral No" in main_text(first.text)

    # Sam is oscar's: olive does not see him, but a referral naming him is his re-referral.
    fields = {"full-name": "sam  EXAMPLE", **date_fields("dob", "2012-03-04"), "source": "professional"}
    fields |= PERMISSION | date_fields("referred", "2026-11-03")
    again = send_form(client, "/referrals/new", "/referrals", fields)
    assert again.status_code == 303
    page = main_text(client.get(again.headers["location"]).text)
    assert "Re-referral Yes" in page and "Assigned officer olive" in page
    with container.new_session() as session:
        assert len(session.exec(select(Person).where(Person.full_name == "Sam Example")).all()) == 1
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "person.search")).all()
        assert events and all("jam" not in event.details.lower() for event in events)  # what was asked is not kept


def test_a_referral_form_with_mistakes_says_what_to_fix(client: TestClient, users, cases) -> None:
    sign_in(client, "olive")
    fields = {"full-name": "", "dob-day": "31", "dob-month": "2", "dob-year": "2012", "source": ""}
    fields |= date_fields("referred", "2030-01-01")
    answer = send_form(client, "/referrals/new", "/referrals", fields)
    assert answer.status_code == 422
    assert error_summary(answer.text) == [
        "Enter the young person's full name",
        "Date of birth must be a real date",
        "Select who made the referral",
        "Select who gave permission to record their details",
        "Select how permission was given",
    ]
    assert 'href="#full-name"' in answer.text and 'href="#dob-day"' in answer.text
    fields = {"full-name": "Kim Future", **date_fields("dob", "2012-01-01"), "source": "other"}
    fields |= PERMISSION | date_fields("referred", "2026-12-25")  # after the (fixed) today
    refused = send_form(client, "/referrals/new", "/referrals", fields)
    assert (
        refused.status_code == 422 and error_summary(refused.text)[0] == "The referral date 2026-12-25 is in the future"
    )


# --- the case page: documents ----------------------------------------------------------------


def test_several_files_are_uploaded_at_once_and_their_status_follows(
    client: TestClient, container: Services, storage: None, users, cases: dict[str, Case], scans: list[Path]
) -> None:
    case_id = cases["officer"].id
    sign_in(client, "olive")
    page = client.get(f"/cases/{case_id}").text
    assert "Referred by Parent or carer" in main_text(page)  # the form's words, not "Parent carer"
    assert 'type="file"' in page and " multiple" in page and 'enctype="multipart/form-data"' in page
    sent = upload_files(client, case_id, scans, provided_by="parent_carer")  # type: ignore[arg-type]
    assert sent.status_code == 303
    page = client.get(sent.headers["location"]).text
    assert "2 files were uploaded" in page
    text = main_text(page)
    assert "review.png 2 October 2026 Parent or carer olive Queued" in text
    assert "transport.png 2 October 2026 Parent or carer olive Queued" in text
    with container.new_session() as session:
        ids = [d.id for d in session.exec(select(Document)).all()]
    status = client.get(f"/cases/{case_id}/documents/status")
    assert status.json() == {"documents": [{"id": i, "status": "queued"} for i in ids]}
    run_ocr(container, ids[0])
    assert client.get(f"/cases/{case_id}/documents/status").json()["documents"][0] == {"id": ids[0], "status": "ready"}
    assert "review.png 2 October 2026 Parent or carer olive Ready" in main_text(client.get(f"/cases/{case_id}").text)
    assert list((container.settings.data_dir / "tmp").iterdir()) == []  # the uploads' scratch is gone


def test_refused_files_are_named_in_the_error_summary_and_the_others_kept(
    client: TestClient, container: Services, storage: None, users, cases: dict[str, Case], scans, tmp_path: Path
) -> None:
    case_id = cases["officer"].id
    junk, empty = tmp_path / "junk.pdf", tmp_path / "empty.png"
    junk.write_bytes(b"\x00\x01not a document" * 50)
    empty.write_bytes(b"")
    sign_in(client, "olive")
    answer = upload_files(client, case_id, [junk, scans[0], empty])  # type: ignore[arg-type]
    assert answer.status_code == 422
    junk_refused, empty_refused = error_summary(answer.text)
    assert junk_refused.startswith("junk.pdf: ") and "PDF, JPEG, PNG" in junk_refused.upper()
    assert empty_refused.startswith("empty.png: ")
    assert answer.text.count('href="#upload-files"') == 2 and 'id="upload-files"' in answer.text
    assert "1 file was uploaded" in answer.text and "review.png" in main_text(answer.text)

    nothing = upload_files(client, case_id, [], day="2026-13-01", provided_by="")  # type: ignore[arg-type]
    assert nothing.status_code == 422
    assert error_summary(nothing.text) == [
        "Select the files to upload",
        "The correspondence date must be a real date",
        "Select who provided the documents",
    ]
    future = upload_files(client, case_id, [scans[1]], day="2026-12-01")  # type: ignore[arg-type]
    assert future.status_code == 422 and "in the future" in error_summary(future.text)[0]
    with container.new_session() as session:
        assert [d.original_filename for d in session.exec(select(Document)).all()] == ["review.png"]
    assert list((container.settings.data_dir / "tmp").iterdir()) == []


def test_a_file_over_the_upload_limit_is_refused_on_the_page(
    client: TestClient, container: Services, storage: None, users, cases: dict[str, Case], tmp_path: Path
) -> None:
    large = tmp_path / "large.pdf"
    large.write_bytes(b"%PDF-1.7\n" + b"0" * (container.settings.max_upload_bytes + 1))
    sign_in(client, "olive")
    answer = upload_files(client, cases["officer"].id, [large])  # type: ignore[arg-type]
    assert answer.status_code == 413
    assert f"larger than {container.settings.max_upload_mb} MiB" in error_summary(answer.text)[0]
    assert list((container.settings.data_dir / "tmp").iterdir()) == []


def test_a_document_page_shows_each_page_beside_its_text_and_images_are_never_cached(
    client: TestClient, container: Services, users, ready_document: int
) -> None:
    sign_in(client, "olive")
    page = client.get(f"/documents/{ready_document}").text
    assert f'src="/documents/{ready_document}/pages/1/image"' in page
    assert "therapy" in main_text(page).lower()  # the recognised text beside it
    assert f"/documents/{ready_document}/file?variant=searchable" in page
    image = client.get(f"/documents/{ready_document}/pages/1/image")
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    assert image.headers["cache-control"] == "no-store"
    small = client.get(f"/documents/{ready_document}/pages/1/image?size=small")
    assert len(small.content) < len(image.content)
    assert client.get(f"/documents/{ready_document}/pages/2/image").status_code == 404
    assert client.get(f"/documents/{ready_document}/pages/1/image?size=huge").status_code == 404
    searchable = client.get(f"/documents/{ready_document}/file?variant=searchable")
    assert searchable.content.startswith(b"%PDF") and "attachment" in searchable.headers["content-disposition"]
    assert list((container.settings.data_dir / "tmp").iterdir()) == []  # nothing decrypted was left on disk


# --- the case page: notes, closing, reopening -------------------------------------------------


def test_a_note_is_added_then_amended_keeping_its_earlier_text(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    case_id = cases["officer"].id
    sign_in(client, "olive")
    fields = {"note-kind": "agreed_action", "note-text": "Call the <school> on Monday"}
    added = send_form(
        client, f"/cases/{case_id}", f"/cases/{case_id}/notes", fields | date_fields("note-date", "2026-11-20")
    )
    assert added.status_code == 303
    page = client.get(f"/cases/{case_id}").text
    assert "Call the &lt;school&gt; on Monday" in page and "Agreed action, 20 November 2026" in main_text(page)
    with container.new_session() as session:
        note_id = session.exec(select(CaseNote)).one().id
    amended = send_form(
        client,
        f"/notes/{note_id}",
        f"/notes/{note_id}",
        {"amend-text": "Call the school on Tuesday", "amend-reason": "Wrong day"},
    )
    assert (amended.status_code, amended.headers["location"]) == (303, f"/cases/{case_id}#note-{note_id}")
    page = main_text(client.get(f"/cases/{case_id}").text)
    assert "Call the school on Tuesday" in page and "Amended" in page and "Monday" not in page
    history = main_text(client.get(f"/notes/{note_id}").text)
    assert "Version 1, replaced" in history and "Call the <school> on Monday" in history and "Wrong day" in history

    same = send_form(
        client,
        f"/notes/{note_id}",
        f"/notes/{note_id}",
        {"amend-text": "Call the school on Tuesday", "amend-reason": "x"},
    )
    assert same.status_code == 422 and "already" in error_summary(same.text)[0]
    empty = send_form(
        client, f"/cases/{case_id}", f"/cases/{case_id}/notes", {"note-kind": "agreed_action", "note-text": " "}
    )
    assert empty.status_code == 422 and error_summary(empty.text) == ["Enter the note's date", "Enter the note"]


def test_an_officer_may_not_add_notes_to_another_officers_case(
    client: TestClient, container: Services, users, cases
) -> None:
    other = cases["other_officer"].id
    sign_in(client, "olive")
    token = form_token(client.get(f"/cases/{cases['officer'].id}").text)
    fields = {"csrf_token": token, "note-kind": "agreed_action", "note-text": "x"} | date_fields(
        "note-date", "2026-11-20"
    )
    answer = client.post(f"/cases/{other}/notes", data=fields, headers=ORIGIN)
    assert answer.status_code == 404 and "Page not found" in answer.text
    with container.new_session() as session:
        assert session.exec(select(CaseNote)).all() == []
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "request.refused")).all()
        assert refused and refused[-1].outcome == "refused"


def test_a_case_is_closed_then_reopened_and_its_history_kept(client: TestClient, users, cases: dict[str, Case]) -> None:
    case_id = cases["officer"].id
    sign_in(client, "olive")
    missing = send_form(client, f"/cases/{case_id}", f"/cases/{case_id}/close", {"close-outcome": ""})
    assert error_summary(missing.text) == [
        "Enter the closing date",
        "Choose how the case ended",
        "Enter how the case ended",
    ]
    closed = send_form(
        client,
        f"/cases/{case_id}",
        f"/cases/{case_id}/close",
        {"close-outcome": "Plan agreed", "close-outcome-code": "resolved_informally"}
        | date_fields("close-date", "2026-11-21"),
    )
    assert closed.status_code == 303
    page = main_text(client.get(f"/cases/{case_id}").text)
    assert "Status Closed" in page and "Outcome Plan agreed" in page and "History of closings" in page
    assert "Reopen the case" in page and "Close the case" not in page
    reopened = send_form(client, f"/cases/{case_id}", f"/cases/{case_id}/reopen", {"reopen-reason": "New evidence"})
    assert reopened.status_code == 303
    page = main_text(client.get(f"/cases/{case_id}").text)
    assert "Status Open" in page and "21 November 2026 Plan agreed olive Reopened" in page and "New evidence" in page


# --- search and the to-do ---------------------------------------------------------------


def test_search_marks_the_words_found_and_escapes_the_rest(
    client: TestClient, container: Services, users, cases: dict[str, Case], note: CaseNote, ready_document: int
) -> None:
    with transaction(container.new_session) as session:
        for number in range(25):
            session.add(
                CaseNote(
                    case_id=cases["officer"].id,  # type: ignore[arg-type]
                    kind=NoteKind.progress_summary,
                    text=f"<b>therapy</b> session {number}",
                    date=dt.date(2026, 10, 6),
                    author_id=users["officer"].id,
                    created_at=container.clock.now(),
                )
            )
    sign_in(client, "olive")
    first = client.get("/search", params={"q": "therapy"}).text
    assert "<mark>therapy</mark>" in first and "<b>" not in first
    if container.settings.database_url.startswith("sqlite"):  # PostgreSQL's snippets have no punctuation to escape
        assert "&lt;b&gt;" in first
    assert cases["officer"].reference in first and "Jamie Example" in first
    assert 'href="/search?q=therapy&amp;start=20"' in first
    second = client.get("/search", params={"q": "therapy", "start": "20"}).text
    assert 'href="/search?q=therapy&amp;start=0"' in second and "<mark>" in second
    assert error_summary(client.get("/search", params={"q": '"unclosed'}).text) == [
        'The query has an unclosed quote; put phrases "between quotes"'
    ]
    sign_in(client, "oscar")
    assert "Jamie Example" not in client.get("/search", params={"q": "therapy"}).text


def test_a_hit_on_a_page_opens_the_document_at_that_page(client: TestClient, users, ready_document: int) -> None:
    sign_in(client, "olive")
    results = client.get("/search", params={"q": "speech"}).text
    assert f'href="/documents/{ready_document}?page=1#page-1"' in results
    assert f'src="/documents/{ready_document}/pages/1/image?size=small"' in results
    assert 'id="page-1"' in client.get(f"/documents/{ready_document}?page=1").text


def test_marked_snippets_always_close_their_tags() -> None:
    assert marked(f"a {MARK_START}<x>{MARK_END} b") == "a <mark>&lt;x&gt;</mark> b"
    assert marked(f"{MARK_END}a {MARK_START}b") == "a <mark>b</mark>"


def test_the_to_do_lists_failed_documents_of_her_cases(
    client: TestClient, container: Services, storage: None, users, cases: dict[str, Case]
) -> None:
    with transaction(container.new_session) as session:
        for case in cases.values():
            session.add(
                Document(
                    case_id=case.id,  # type: ignore[arg-type]
                    original_filename="letter.pdf",
                    content_type="application/pdf",
                    size=10,
                    sha256=f"{case.id:064x}",
                    correspondence_date=dt.date(2026, 10, 1),
                    provided_by="school",
                    status=DocumentStatus.failed,
                    failure_reason="unreadable scan",
                )
            )
    sign_in(client, "olive")
    page = main_text(client.get("/todo").text)
    assert "Documents that could not be read (1)" in page and "unreadable scan" in page
    assert cases["officer"].reference in page and cases["other_officer"].reference not in page
    sign_in(client, "maya")
    assert "Documents that could not be read (2)" in main_text(client.get("/todo").text)
