"""Full-text search over page text: SQLite FTS5 or PostgreSQL, one interface.

The user's query is parsed here, the same way for both databases: words and
"quoted phrases", all of which must match (English stemming: "meeting" finds
"meetings"). Hits are ranked by relevance among at most CANDIDATES matching
pages the caller may see, the most recently added: a word on half of all
pages would otherwise cost a scan of half the index for every search. Terms reach the
database as bound parameters or quoted FTS5 strings, so no query can break out into FTS
syntax; a malformed one is a 400.
"""

from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa
from sqlmodel import Session

from casevault.core.casework import SEES_EVERY_CASE
from casevault.core.errors import BadQuery
from casevault.core.models import User

MARK_START, MARK_END = "«", "»"  # marks matched words in snippets; never HTML
MAX_QUERY = 200
# A query matching more pages than this ranks the most recently added of them:
# ranking is proportional to the pages it scores, and common words match most.
CANDIDATES = 500
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


@dataclasses.dataclass(frozen=True)
class Hit:
    document_id: int
    case_id: int
    page: int
    snippet: str


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


def search(session: Session, *, query: str, user: User, case_id: int | None, limit: int = 20) -> list[Hit]:
    terms = parse_query(query)
    visible, params = _visibility(user, case_id)
    if session.get_bind().dialect.name == "postgresql":
        # A word on half the pages and a word on three want different plans; a cached
        # generic plan cannot tell them apart, so plan each search for its words.
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
        statement = _postgres(terms, visible, params)
    else:
        statement = _sqlite(terms, visible, params)
    rows = session.execute(statement, {**params, "limit": limit}).all()
    return [Hit(document_id=r.document_id, case_id=r.case_id, page=r.page, snippet=r.snippet) for r in rows]


def _visibility(user: User, case_id: int | None) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if user.role not in SEES_EVERY_CASE:
        clauses.append("c.assigned_officer_id = :user_id")
        params["user_id"] = user.id
    if case_id is not None:
        clauses.append("c.id = :case_id")
        params["case_id"] = case_id
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


def _sqlite(terms: list[str], visible: str, params: dict[str, object]) -> sa.TextClause:
    # Each term as a quoted FTS5 string: a phrase of its words, no operators possible.
    params["match"] = " ".join('"' + term.replace('"', "") + '"' for term in terms)
    params["candidates"] = CANDIDATES
    # FTS5 walks matches newest first and stops at the cap; bm25 then scores only
    # pages at or above the oldest candidate (FTS5 seeks by rowid).
    return sa.text(
        f"""
        WITH candidates AS (
            SELECT pt.id FROM page_text_fts
            JOIN page_text pt ON pt.id = page_text_fts.rowid
            JOIN document d ON d.id = pt.document_id
            JOIN case_file c ON c.id = d.case_id
            WHERE page_text_fts MATCH :match {visible}
            ORDER BY page_text_fts.rowid DESC LIMIT :candidates
        )
        SELECT pt.document_id, d.case_id, pt.page,
               snippet(page_text_fts, 0, '{MARK_START}', '{MARK_END}', '…', 16) AS snippet
        FROM page_text_fts
        JOIN page_text pt ON pt.id = page_text_fts.rowid
        JOIN document d ON d.id = pt.document_id
        JOIN case_file c ON c.id = d.case_id
        WHERE page_text_fts MATCH :match
          AND page_text_fts.rowid >= (SELECT coalesce(min(id), 0) FROM candidates) {visible}
        ORDER BY bm25(page_text_fts), pt.document_id, pt.page
        LIMIT :limit
        """
    )


def _postgres(terms: list[str], visible: str, params: dict[str, object]) -> sa.TextClause:
    parts = []
    for index, term in enumerate(terms):
        params[f"t{index}"] = term
        parts.append(f"phraseto_tsquery('english', :t{index})")
    query = " && ".join(parts)
    params["candidates"] = CANDIDATES
    # The query is written inline (not in a CTE) so the planner sees how common its
    # words are: a backward walk of the primary key for common words, the GIN
    # index for rare ones. ts_rank then scores only the candidates.
    return sa.text(
        f"""
        WITH candidates AS (
            SELECT pt.id FROM page_text pt
            JOIN document d ON d.id = pt.document_id
            JOIN case_file c ON c.id = d.case_id
            WHERE pt.tsv @@ ({query}) {visible}
            ORDER BY pt.id DESC LIMIT :candidates
        )
        SELECT pt.document_id, d.case_id, pt.page,
               ts_headline('english', pt.text, ({query}),
                           'StartSel={MARK_START}, StopSel={MARK_END}, MaxFragments=1, MaxWords=24, MinWords=8')
                   AS snippet
        FROM (
            SELECT pt.id, ts_rank(pt.tsv, ({query})) AS score FROM candidates JOIN page_text pt ON pt.id = candidates.id
            ORDER BY score DESC, pt.id LIMIT :limit
        ) AS best
        JOIN page_text pt ON pt.id = best.id
        JOIN document d ON d.id = pt.document_id
        ORDER BY best.score DESC, pt.document_id, pt.page
        """
    )
