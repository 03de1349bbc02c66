"""Anonymised statistics (managers): fixed tables only, every count through the disclosure
control of ``core.statistics``, every release audited. JSON, or CSV with ``format=csv``."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from casevault.api.bounds import RealDate
from casevault.api.deps import Manager, ServicesDep, SessionDep, record
from casevault.api.schemas import StatisticsTablePublic
from casevault.core.errors import InvalidInput
from casevault.core.statistics import By, periods, release
from casevault.retention.statistics import COLUMNS, Table, count_cases

router = APIRouter(prefix="/statistics", tags=["statistics"])

COUNTED_BY = {
    Table.referral_source: "referral date",
    Table.age_band: "referral date (age at referral)",
    Table.outcome: "closing date",
}
From = Annotated[RealDate, Query(alias="from", description="YYYY-MM-DD; widened to the start of its period")]
To = Annotated[RealDate, Query(alias="to", description="YYYY-MM-DD; widened to the end of its period")]


@router.get(
    "/{table}",
    response_model=StatisticsTablePublic,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def read_statistics(
    table: Table,
    start: From,
    end: To,
    user: Manager,
    session: SessionDep,
    services: ServicesDep,
    by: By = By.quarter,
    format: Literal["json", "csv"] = "json",
) -> StatisticsTablePublic | Response:
    """Cases by period and one of: referral source, outcome code, age band at referral."""
    if end < start:
        raise InvalidInput(f"to ({end}) is before from ({start})", field="to")
    counted = count_cases(session, table=table, start=start, end=end, by=by)
    released = release(counted.counts, rows=periods(counted.start, counted.end, by), columns=COLUMNS[table])
    answer = StatisticsTablePublic.of(
        released, table=table.value, by=by, start=counted.start, end=counted.end, counted_by=COUNTED_BY[table]
    )
    record(
        session,
        services,
        user,
        "statistics.release",
        subject_type="statistics",
        subject_id=table.value,
        by=by.value,
        start=counted.start.isoformat(),
        end=counted.end.isoformat(),
        format=format,
    )
    if format == "csv":
        name = f"casevault-{table.value}-by-{by.value}-{counted.start}-{counted.end}.csv"
        return Response(
            _csv(answer),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return answer


def _csv(answer: StatisticsTablePublic) -> str:
    """One line per period then the total: the counts, the total, then each column's percentage
    (empty where none is given). ``[c]`` as in the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", *answer.columns, "total", *(f"{column} %" for column in answer.columns)])
    for row in [*answer.rows, answer.total]:
        percentages = ["" if row.percentages[c] is None else row.percentages[c] for c in answer.columns]
        writer.writerow([row.period, *(row.counts[c] for c in answer.columns), row.total, *percentages])
    return out.getvalue()
