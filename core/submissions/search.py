"""Free-text search over submissions: what is searched, and how each database finds it fast.

Every submission keeps `search_text`: its title, description and reference folded to lower
case without accents, so "ECOLE", "école" and "ecole" find the same rows. A search matches
when every word of the query is a substring of it. The database serves that from an index
the migrations make (see migrations/versions/0005_search.py):

- PostgreSQL: a pg_trgm GIN index on `search_text`, which LIKE '%word%' uses by itself; the
  planner chooses between it and walking the newest rows.
- SQLite: an FTS5 table with the trigram tokenizer over `search_text`. Its index pays for
  rare words; for common words walking the newest rows with LIKE fills a page sooner, so a
  bounded count through the index first tells which kind each word is (`RARE_ENOUGH`); a
  rare word is looked up in the index and the other words filter its rows.
  Words shorter than 3 characters have no trigram and always use LIKE.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, column, literal_column, table, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from core.folding import fold
from core.submissions.models import Submission

MAX_WORDS = 8
TRIGRAM = 3
# Fewer rows than this hold the words: the FTS5 index is cheaper than walking the newest
# rows with LIKE (bench/inbox/ measures both sides of this line).
RARE_ENOUGH = 5_000
# What the migrations add outside the models: Alembic's comparison leaves them alone.
SQLITE_FTS = "submission_fts"
POSTGRES_TRIGRAM_INDEX = "ix_submission_search_trgm"
OUTSIDE_MODELS = frozenset({SQLITE_FTS, POSTGRES_TRIGRAM_INDEX} | {
    f"{SQLITE_FTS}_{part}" for part in ("data", "idx", "content", "docsize", "config")})


QUOTES = "\"'«»“”‘’"


def query_words(query: str) -> list[str]:
    """The folded words a query looks for, without the quotes around them or control
    characters (at most MAX_WORDS, no repeats)."""
    visible = "".join(c for c in fold(query) if not unicodedata.category(c).startswith("C"))
    words = (w.strip(QUOTES) for w in visible.split())
    return list(dict.fromkeys(w for w in words if w))[:MAX_WORDS]


@dataclass(frozen=True)
class Match:
    """The condition, and whether the query should start from the rows the index found
    instead of walking an index of the other filters (SQLite: NOT INDEXED, so its planner,
    which has no statistics, does not walk a whole commune to probe a short list)."""

    condition: ColumnElement[bool]
    from_index_rows: bool = False


def matches(session: Session, query: str) -> Match:
    """Every word of the query appears in the submission's search_text."""
    words = query_words(query)
    if not words:
        return Match(literal_column("1") == literal_column("1"))
    if session.get_bind().dialect.name == "sqlite":
        rare = _a_rare_word(session, words)
        if rare is not None:
            others = [w for w in words if w != rare]
            return Match(and_(col(Submission.id).in_(_fts_rows([rare])), *_likes(others)),
                         from_index_rows=True)
    return Match(and_(*_likes(words)))


def _a_rare_word(session: Session, words: list[str]) -> str | None:
    """A word held by fewer than RARE_ENOUGH rows, longest words asked first (they tend to
    be rarer); None when every word is common. One word, not all of them, goes to the index:
    intersecting the long lists of two common words costs more than filtering the short
    list of a rare one."""
    for word in sorted((w for w in words if len(w) >= TRIGRAM), key=len, reverse=True):
        if _fewer_rows_than(session, [word], RARE_ENOUGH):
            return word
    return None


def _likes(words: Iterable[str]) -> list[ColumnElement[bool]]:
    return [col(Submission.search_text).like(f"%{escape_like(w)}%", escape="\\") for w in words]


def escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_rows(words: list[str]) -> ColumnElement[bool]:
    fts = table(SQLITE_FTS, column("rowid"))
    return sa_select(fts.c.rowid).where(  # type: ignore[return-value]
        literal_column(SQLITE_FTS).op("MATCH")(_fts_expression(words)))


def _fts_expression(words: list[str]) -> str:
    """Each word as an FTS5 string (a substring, with the trigram tokenizer), all required."""
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def _fewer_rows_than(session: Session, words: list[str], limit: int) -> bool:
    """Whether fewer than `limit` rows hold every word: the FTS5 index counts them and stops
    at `limit`, so a common word costs a bounded probe."""
    probe = text(f"SELECT count(*) FROM (SELECT 1 FROM {SQLITE_FTS} "
                 f"WHERE {SQLITE_FTS} MATCH :expression LIMIT :limit)")
    found = session.connection().execute(
        probe, {"expression": _fts_expression(words), "limit": limit}).scalar_one()
    return int(found) < limit
