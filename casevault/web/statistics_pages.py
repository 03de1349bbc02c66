"""The managers' statistics page: a fixed table chosen from the three the API offers, between
two dates, by quarter or year, shown as released, and downloaded as the API's CSV.

Both call ``services.statistics.release``, the use case ``GET /statistics/{table}`` calls: the
same counting, the same disclosure control, and the same audit row (``statistics.release``,
format ``html`` for a view, ``csv`` for a download). Anyone but a manager gets the not-found page.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from casevault.core.db import transaction
from casevault.core.errors import CasevaultError
from casevault.core.statistics import SMALLEST_DENOMINATOR, SMALLEST_SHOWN, By
from casevault.core.web_sessions import SignedIn
from casevault.retention.statistics import Table
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep
from casevault.web.manager_pages import error_list, is_manager, read_date

if TYPE_CHECKING:
    from casevault.app.usecases.statistics import StatisticsRelease

router = APIRouter(include_in_schema=False)

TABLES = {
    Table.referral_source.value: "Cases by who referred them",
    Table.age_band.value: "Cases by age band at referral",
    Table.outcome.value: "Cases by outcome, when closed",
}
BY = {By.quarter.value: "Quarter", By.year.value: "Year"}
DATE_ANCHORS = {"from": "from-day", "to": "to-day"}


def column_label(column: str) -> str:
    """``parent_carer`` as "Parent carer", ``ehcp_issued`` as "EHCP issued"; age bands ("12-15") as they are."""
    return column.replace("_", " ").capitalize().replace("Ehcp", "EHCP")


def _defaults(today: dt.date) -> dict[str, str]:
    """This year so far, by quarter."""
    return {
        "table": Table.referral_source.value,
        "by": By.quarter.value,
        "from-day": "1",
        "from-month": "1",
        "from-year": str(today.year),
        "to-day": str(today.day),
        "to-month": str(today.month),
        "to-year": str(today.year),
    }


def _read_form(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The chosen table, dates and period, or the errors saying what to fix."""
    errors: dict[str, str] = {}
    if form.get("table", "") not in TABLES:
        errors["table"] = "Choose a table"
    if form.get("by", "") not in BY:
        errors["by"] = "Choose quarter or year"
    start, problem = read_date(form, "from", "The first day")
    if problem:
        errors["from"] = problem
    elif start is None:
        errors["from"] = "Enter the first day, like 1 4 2026"
    end, problem = read_date(form, "to", "The last day")
    if problem:
        errors["to"] = problem
    elif end is None:
        errors["to"] = "Enter the last day, like 31 3 2027"
    if start and end and end < start:
        errors["to"] = "The last day must be the same as or after the first day"
    return {"table": form.get("table"), "by": form.get("by"), "start": start, "end": end}, errors


def _release(request: Request, signed_in: SignedIn, chosen: dict[str, Any], *, format: str) -> StatisticsRelease:
    """The release, audited as the API audits it (raises the use case's refusal)."""
    services = guard.services_of(request)
    with transaction(services.new_session) as session:
        return services.statistics.release(
            session,
            table=Table(chosen["table"]),
            start=chosen["start"],
            end=chosen["end"],
            by=By(chosen["by"]),
            format="csv" if format == "csv" else "html",
            user=signed_in.user,
        )


def _page(
    request: Request,
    signed_in: SignedIn,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    released: StatisticsRelease | None = None,
) -> Response:
    errors = errors or {}
    download = None
    if released is not None:
        query = {"table": released.table.value, "from": released.start, "to": released.end, "by": released.by.value}
        download = "/manager/statistics/download?" + urlencode(query)
    return pages.render(
        request,
        "manager/statistics.html",
        signed_in,
        status_code=400 if errors else 200,
        errors=errors,
        error_list=error_list(errors, DATE_ANCHORS),
        form=form,
        tables=TABLES,
        by_choices=BY,
        released=released,
        download=download,
        column_label=column_label,
        smallest_shown=SMALLEST_SHOWN,
        smallest_denominator=SMALLEST_DENOMINATOR,
    )


@router.get("/manager/statistics")
def statistics_page(request: Request, signed_in: SignedInDep) -> Response:
    """The form alone until a table is asked for; then the table as released."""
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    query = {key: value[:64] for key, value in request.query_params.items()}
    if "table" not in query:
        return _page(request, signed_in, _defaults(guard.services_of(request).clock.today()))
    chosen, errors = _read_form(query)
    if errors:
        return _page(request, signed_in, query, errors=errors)
    try:
        released = _release(request, signed_in, chosen, format="html")
    except CasevaultError as problem:
        field = getattr(problem, "field", None) or "table"
        return _page(request, signed_in, query, errors={field if field in ("from", "to") else "table": problem.detail})
    return _page(request, signed_in, query, released=released)


@router.get("/manager/statistics/download")
def download(request: Request, signed_in: SignedInDep) -> Response:
    """The same CSV as ``GET /statistics/{table}?format=csv``, from the page's link."""
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    query = {key: value[:64] for key, value in request.query_params.items()}
    form = {"table": query.get("table", ""), "by": query.get("by", "")}
    for name in ("from", "to"):  # the link's YYYY-MM-DD, as the date fields of the form
        try:
            day = dt.date.fromisoformat(query.get(name, ""))
        except ValueError:
            form.update({f"{name}-day": "?", f"{name}-month": "", f"{name}-year": ""})
        else:
            form.update({f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)})
    chosen, errors = _read_form(form)
    if errors:
        return _page(request, signed_in, form, errors=errors)
    try:
        released = _release(request, signed_in, chosen, format="csv")
    except CasevaultError as problem:
        return _page(request, signed_in, form, errors={"table": problem.detail})
    return Response(
        released.as_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{released.filename}"'},
    )
