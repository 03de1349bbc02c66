"""Full-text search over page text and case notes: SQLite FTS5 or PostgreSQL, one interface.

The user's query is parsed here, the same way for both databases: words and
"quoted phrases", all of which must match (English stemming: "meeting" finds
"meetings"). Words are runs of letters and digits, so `SEN-48213` is the phrase
`sen 48213` and `12/05/2024` the phrase `12 05 2024`; both databases index text split
the same way (FTS5's unicode61 tokenizer; on PostgreSQL the text has its ASCII
punctuation made spaces before the English parser sees it, migration 0011), so a case
reference, `48213` alone or a date are found alike. Terms reach the database as bound
parameters or quoted FTS5 strings, so no query can break out into FTS syntax; a
malformed one is a 400.

Ranking: among at most CANDIDATES matching pages and as many notes the caller may see,
the most recently added (a word on half of all pages would otherwise cost a scan of half
the index for every search), by relevance, ties by kind and id. Results page through that
ranked list by position, so the cursor is an offset into it, bound to the query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from casevault.core.casework import SEES_EVERY_CASE
from casevault.core.errors import BadQuery, NotFound
from casevault.core.models import CaseStatus, Role, User, shown_name

MARK_START, MARK_END = "«", "»"  # marks matched words in snippets; never HTML
MAX_QUERY = 200
# A query matching more pages (or notes) than this ranks the most recently added of them:
# ranking is proportional to the rows it scores, and common words match most.
CANDIDATES = 500
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"[^\W_]+")  # letters and digits: FTS5's unicode61 splits on the rest, "_" too
# PostgreSQL: the text its English parser reads, every ASCII punctuation mark a space
# (its parser would read SEN-48213 as 'sen' and the negative number -48213). Migration
# 0011 indexes exactly this expression; keep them the same.
PG_TEXT = r"regexp_replace({column}, '[!-/:-@\[-`{{-~]+', ' ', 'g')"


@dataclasses.dataclass(frozen=True)
class Hit:
    kind: str  # "page" or "note"
    case_id: int
    case_reference: str
    person_id: int
    person_name: str
    snippet: str
    document_id: int | None = None
    filename: str | None = None
    page: int | None = None
    note_id: int | None = None


@dataclasses.dataclass(frozen=True)
class Results:
    hits: list[Hit]
    next_offset: int | None  # where the next page starts in the ranked list; None on the last


@dataclasses.dataclass(frozen=True)
class _Ranked:
    kind: str
    id: int
    score: float


def parse_query(query: str) -> list[str]:
    """Terms of a query: each a word or a phrase (words separated by spaces)."""
    if len(query) > MAX_QUERY:
        raise BadQuery(f"the query is longer than {MAX_QUERY} characters; search for fewer words")
    if query.count('"') % 2:
        raise BadQuery('the query has an unclosed quote; put phrases "between quotes"')
    terms = []
    for phrase, word in _TERM.findall(query):
        words = _WORD.findall(phrase if phrase else word)
        if words:
            terms.append(" ".join(words))
    if not terms:
        raise BadQuery("the query has no words to search for")
    return terms


def cursor_digest(query: str, case_id: int | None) -> str:
    """Ties a cursor to its search: a cursor of another query is refused, not misread."""
    return hashlib.sha256(f"{query}\0{case_id}".encode()).hexdigest()[:16]


def check_offset(offset: int) -> None:
    if offset > 2 * CANDIDATES:
        raise BadQuery("cursor is not one this search gave out; leave it out to start from the first page")


def search(
    session: Session, *, query: str, user: User, case_id: int | None, limit: int = 20, offset: int = 0
) -> Results:
    terms = parse_query(query)
    check_offset(offset)
    cases = _visible_cases(session, user=user, case_id=case_id)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # A word on half the pages and a word on three want different plans; a cached
        # generic plan cannot tell them apart, so plan each search for its words.
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    ranked = _rank(session, terms, cases, postgres=postgres)
    window = ranked[offset : offset + limit + 1]
    more = len(window) > limit
    window = window[:limit]
    details = _details(session, terms, window, postgres=postgres)
    hits = [details[(r.kind, r.id)] for r in window if (r.kind, r.id) in details]
    return Results(hits=hits, next_offset=offset + limit if more else None)


# --- who sees what ---------------------------------------------------------------------


def _visible_cases(session: Session, *, user: User, case_id: int | None) -> list[int] | None:
    """The cases the search may look in; None: every case (a manager's unfiltered search).

    An officer sees the cases assigned to her and, read-only, the earlier cases of a
    person who has an open case assigned to her. A case she may not see is a 404, like a
    missing one."""
    if user.role in SEES_EVERY_CASE:
        if case_id is None:
            return None
        if session.execute(sa.text("SELECT 1 FROM case_file WHERE id = :id"), {"id": case_id}).first() is None:
            raise NotFound(f"no case with id {case_id}")
        return [case_id]
    if user.role != Role.officer:
        return []
    rows = session.execute(
        sa.text(
            """
            SELECT c.id FROM case_file c WHERE c.assigned_officer_id = :user_id
            UNION
            SELECT earlier.id FROM case_file mine
            JOIN case_file earlier ON earlier.person_id = mine.person_id AND earlier.id < mine.id
            WHERE mine.assigned_officer_id = :user_id AND mine.status = :open
            """
        ),
        {"user_id": user.id, "open": CaseStatus.open.value},
    ).scalars()
    visible = sorted(rows)
    if case_id is None:
        return visible
    if case_id not in visible:
        raise NotFound(f"no case with id {case_id}")
    return [case_id]


# --- ranking ---------------------------------------------------------------------------


def _rank(session: Session, terms: list[str], cases: list[int] | None, *, postgres: bool) -> list[_Ranked]:
    if cases is not None and not cases:
        return []
    ranked: list[_Ranked] = []
    for kind in ("page", "note"):
        if postgres:
            statement, params = _postgres_rank(kind, terms, cases)
        else:
            statement, params = _sqlite_rank(kind, terms, cases)
        ranked += [_Ranked(kind, row.id, float(row.score)) for row in session.execute(statement, params)]
    # Most relevant first; pages before notes and newer before older among equals, so
    # the order (and so every cursor) is the same each time.
    return sorted(ranked, key=lambda r: (-r.score, r.kind, -r.id))


def _fts_match(terms: list[str]) -> str:
    # Each term as a quoted FTS5 string: a phrase of its words, no operators possible.
    return " ".join('"' + term.replace('"', "") + '"' for term in terms)


_SQLITE_SOURCES = {
    # kind: (FTS5 table, content table, SQL from a content row alias `x` to its case `case_id`)
    "page": ("page_text_fts", "page_text", "document d ON d.id = x.document_id", "d.case_id"),
    "note": ("case_note_fts", "case_note", None, "x.case_id"),
}


def _sqlite_rank(kind: str, terms: list[str], cases: list[int] | None) -> tuple[sa.TextClause, dict[str, object]]:
    fts, table, join, case_column = _SQLITE_SOURCES[kind]
    params: dict[str, object] = {"match": _fts_match(terms), "candidates": CANDIDATES}
    if cases is None:
        # Every case: FTS5 walks matches newest first and stops at the cap; bm25 then
        # scores only rows at or above the oldest candidate (FTS5 seeks by rowid).
        return (
            sa.text(
                f"""
                SELECT rowid AS id, -bm25({fts}) AS score FROM {fts}
                WHERE {fts} MATCH :match AND rowid >= (
                    SELECT coalesce(min(id), 0) FROM (
                        SELECT rowid AS id FROM {fts} WHERE {fts} MATCH :match ORDER BY rowid DESC LIMIT :candidates
                    )
                )
                """
            ),
            params,
        )
    # Some cases only (an officer's, or one): the rows of those cases, found by the case
    # indexes, are a set FTS5's matches are checked against as it walks them newest first
    # ("+rowid": a filter, not a lookup FTS5 would make once per row of the set).
    joined = f"JOIN {join}" if join else ""
    params["cases"] = cases
    return (
        sa.text(
            f"""
            SELECT rowid AS id, -bm25({fts}) AS score FROM {fts}
            WHERE {fts} MATCH :match
              AND +rowid IN (SELECT x.id FROM {table} x {joined} WHERE {case_column} IN :cases)
            ORDER BY rowid DESC LIMIT :candidates
            """
        ).bindparams(sa.bindparam("cases", expanding=True)),
        params,
    )


def _pg_query(terms: list[str], params: dict[str, object]) -> str:
    parts = []
    for index, term in enumerate(terms):
        params[f"t{index}"] = term
        parts.append(f"phraseto_tsquery('english', :t{index})")
    return "(" + " && ".join(parts) + ")"


def _postgres_rank(kind: str, terms: list[str], cases: list[int] | None) -> tuple[sa.TextClause, dict[str, object]]:
    params: dict[str, object] = {"candidates": CANDIDATES}
    query = _pg_query(terms, params)
    table, source, case_column = _POSTGRES_SOURCES[kind]
    where = ""
    if cases is not None:
        where = f"AND {case_column} = ANY(:cases)"
        params["cases"] = cases
    # The query is written inline (not in a CTE) so the planner sees how common its
    # words are: a backward walk of the primary key for common words, the GIN index for
    # rare ones. ts_rank then scores only the candidates.
    statement = sa.text(
        f"""
        SELECT x.id, ts_rank(x.tsv, {query}) AS score FROM (
            SELECT x.id FROM {source} WHERE x.tsv @@ {query} {where} ORDER BY x.id DESC LIMIT :candidates
        ) AS candidates JOIN {table} x ON x.id = candidates.id
        """
    )
    return statement, params


_POSTGRES_SOURCES = {
    # kind: (content table, the rows with their case, the case column)
    "page": ("page_text", "page_text x JOIN document d ON d.id = x.document_id", "d.case_id"),
    "note": ("case_note", "case_note x", "x.case_id"),
}


# --- what a hit shows ------------------------------------------------------------------


def _details(
    session: Session, terms: list[str], window: Sequence[_Ranked], *, postgres: bool
) -> dict[tuple[str, int], Hit]:
    found: dict[tuple[str, int], Hit] = {}
    for kind in ("page", "note"):
        ids = [r.id for r in window if r.kind == kind]
        if not ids:
            continue
        params: dict[str, object] = {"ids": ids}
        if postgres:
            query = _pg_query(terms, params)
            table = "page_text" if kind == "page" else "case_note"
            snippet = (
                f"ts_headline('english', {PG_TEXT.format(column='x.text')}, {query},"
                f" 'StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=1, MaxWords=24, MinWords=8')"
            )
            source = f"{table} x"
            where = "x.id IN :ids"
        else:
            params["match"] = _fts_match(terms)
            fts = "page_text_fts" if kind == "page" else "case_note_fts"
            table = "page_text" if kind == "page" else "case_note"
            snippet = f"snippet({fts}, 0, '{MARK_START}', '{MARK_END}', '…', 16)"
            source = f"{fts} JOIN {table} x ON x.id = {fts}.rowid"
            where = f"{fts} MATCH :match AND {fts}.rowid IN :ids"
        if kind == "page":
            statement = f"""
                SELECT x.id, x.document_id, x.page, d.original_filename, c.id AS case_id, c.reference,
                       p.id AS person_id, p.full_name, {snippet} AS snippet
                FROM {source} JOIN document d ON d.id = x.document_id
                JOIN case_file c ON c.id = d.case_id JOIN person p ON p.id = c.person_id
                WHERE {where}
            """
        else:
            statement = f"""
                SELECT x.id, c.id AS case_id, c.reference, p.id AS person_id, p.full_name, {snippet} AS snippet
                FROM {source} JOIN case_file c ON c.id = x.case_id JOIN person p ON p.id = c.person_id
                WHERE {where}
            """
        rows = session.execute(sa.text(statement).bindparams(sa.bindparam("ids", expanding=True)), params)
        for row in rows:
            common = {
                "case_id": row.case_id,
                "case_reference": row.reference,
                "person_id": row.person_id,
                "person_name": shown_name(row.person_id, row.full_name),
                "snippet": row.snippet,
            }
            if kind == "page":
                hit = Hit("page", document_id=row.document_id, filename=row.original_filename, page=row.page, **common)
            else:
                hit = Hit("note", note_id=row.id, **common)
            found[(kind, row.id)] = hit
    return found
