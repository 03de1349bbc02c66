"""Anonymised statistics as every edge releases them: the fixed table counted, put through
the disclosure control of ``core.statistics``, and audited, in one place, so the API's JSON
and CSV and the managers' page (its table and its CSV download) are the same release.

Audit details hold the table, period, dates and format only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from casevault.app.usecases import Parts
from casevault.core import audit
from casevault.core.errors import InvalidInput
from casevault.core.models import User
from casevault.core.statistics import By, ReleasedTable, periods, release
from casevault.retention.statistics import COLUMNS, Table, count_cases

Format = Literal["json", "csv", "html"]  # the API's answers, and the managers' page
COUNTED_BY = {
    Table.referral_source: "referral date",
    Table.age_band: "referral date (age at referral)",
    Table.outcome: "closing date",
}


@dataclass(frozen=True)
class StatisticsRelease:
    table: Table
    by: By
    start: dt.date  # from, widened to the start of its period
    end: dt.date  # to, widened to the end of its period
    counted_by: str  # which date puts a case in a period
    released: ReleasedTable

    @property
    def filename(self) -> str:
        return f"casevault-{self.table.value}-by-{self.by.value}-{self.start}-{self.end}.csv"

    def as_csv(self) -> str:
        """One line per period then the total: the counts, the total, then each column's
        percentage (empty where none is given); ``[c]`` where a number is suppressed."""
        table = self.released
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["period", *table.columns, "total", *(f"{column} %" for column in table.columns)])
        for row in [*table.rows, table.total]:
            percentages = ["" if row.percentages[c] is None else row.percentages[c] for c in table.columns]
            writer.writerow([row.period, *(row.counts[c] for c in table.columns), row.total, *percentages])
        return out.getvalue()


class StatisticsWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    def release(
        self, session: Session, *, table: Table, start: dt.date, end: dt.date, by: By, format: Format, user: User
    ) -> StatisticsRelease:
        """Cases by period and one of: referral source, outcome code, age band at referral;
        every count through the disclosure control; the release audited."""
        if end < start:
            raise InvalidInput(f"to ({end}) is before from ({start})", field="to")
        counted = count_cases(session, table=table, start=start, end=end, by=by)
        released = release(counted.counts, rows=periods(counted.start, counted.end, by), columns=COLUMNS[table])
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action="statistics.release",
            subject_type="statistics",
            subject_id=table.value,
            details={
                "by": by.value,
                "start": counted.start.isoformat(),
                "end": counted.end.isoformat(),
                "format": format,
            },
        )
        return StatisticsRelease(
            table=table, by=by, start=counted.start, end=counted.end, counted_by=COUNTED_BY[table], released=released
        )
