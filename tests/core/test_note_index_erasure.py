"""A deleted case note's words leave the notes' full-text index too: after the erasure
that follows a destruction they are in no database file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import delete

from casevault.app.services import Services
from casevault.core import casework
from casevault.core.db import transaction
from casevault.core.erasure import erase_deleted
from casevault.core.models import CaseNote, NoteKind, ReferralSource, User

WORD = b"qwzxv"  # in no other row; its own stem, so the index holds it whole


def _database_files_holding(engine: sa.Engine, needle: bytes) -> list[str]:
    database = Path(str(engine.url.database))
    files = [path for path in database.parent.glob(database.name + "*") if path.is_file()]
    return [path.name for path in files if needle in path.read_bytes()]


def test_a_deleted_notes_words_are_erased_from_the_note_index(container: Services) -> None:
    if container.engine.dialect.name != "sqlite":
        return  # PostgreSQL's side is the vacuum of case_note, covered by the destruction tests
    with transaction(container.new_session) as session:
        author = User(username="olive", role="officer", token_hash="0" * 64)
        person = casework.add_person(
            session,
            full_name="Robin Example",
            date_of_birth=dt.date(2012, 1, 1),
            contact_details=None,
            recorded_by=None,
            clock=container.clock,
        )
        case = casework.open_case(
            session,
            person=person,
            referral_date=dt.date(2026, 1, 5),
            referral_source=ReferralSource.other,
            officer=None,
            clock=container.clock,
        )
        session.add(author)
        session.flush()
        casework.add_note(
            session,
            case=case,
            kind=NoteKind.progress_summary,
            text=f"Talked about {WORD.decode()} today.",
            date=dt.date(2026, 1, 6),
            author=author,
            clock=container.clock,
        )
    erase_deleted(container.engine, tables=["case_note"])
    assert _database_files_holding(container.engine, WORD)  # the grep finds it while the note exists

    with transaction(container.new_session) as session:
        session.execute(delete(CaseNote))
    erase_deleted(container.engine, tables=["case_note"])

    assert _database_files_holding(container.engine, WORD) == []
