"""Anonymised statistics (managers): fixed tables only, every count through the disclosure
control of ``core.statistics``, every release audited (``services.statistics``, which the
managers' page calls too). JSON, or CSV with ``format=csv``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from casevault.api.bounds import RealDate
from casevault.api.deps import Manager, ServicesDep, SessionDep
from casevault.api.schemas import StatisticsTablePublic
from casevault.core.statistics import By
from casevault.retention.statistics import Table

router = APIRouter(prefix="/statistics", tags=["statistics"])

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
    released = services.statistics.release(session, table=table, start=start, end=end, by=by, format=format, user=user)
    if format == "csv":
        return Response(
            released.as_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{released.filename}"'},
        )
    return StatisticsTablePublic.of(
        released.released,
        table=table.value,
        by=by,
        start=released.start,
        end=released.end,
        counted_by=released.counted_by,
    )
