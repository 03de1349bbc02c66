"""The subject access bundle: one PDF answering a request, and its notes as CSV.

    cover letter (what UK GDPR Article 15 requires, and the searches done)
    -> index (bundle pages, date, type, who provided it, the decision and its reason)
    -> the documents (partly disclosed ones through the redactor) and the notes
    -> every page stamped with the request's reference and "page n of N"

Pure: bytes in, bytes out, nothing written anywhere. The caller fetches and decrypts
the documents, supplies the redactor (``Redactor``: the redaction module, bound to a
private scratch directory) and stores the result encrypted.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from casevault.core.errors import InvalidInput
from casevault.core.models import ItemDecision
from casevault.core.regions import Region

Redactor = Callable[[bytes, Sequence[Region]], bytes]
Progress = Callable[[int, int], None]  # (done, of): called as each item is added

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core: every European script
ICO = (
    "Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF;"
    " telephone 0303 123 1113; https://ico.org.uk/make-a-complaint/"
)
DECISION_LABELS = {
    ItemDecision.disclosed: "disclosed",
    ItemDecision.partly_disclosed: "partly disclosed",
    ItemDecision.withheld: "withheld",
}
PROVIDER_LABELS = {
    "young_person": "the young person",
    "parent_carer": "a parent or carer",
    "school": "a school",
    "professional": "a professional (health, social care, the council or another service)",
    "officer": "our service",
}
CSV_COLUMNS = ("reference", "case", "date", "kind", "decision", "reason", "text")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BundleProblem(InvalidInput):
    """The bundle cannot be built from what the request holds: the message says what to change."""


@dataclass(frozen=True)
class BundleItem:
    """One document or note of the person, in the order the bundle gives them."""

    case_reference: str
    date: dt.date
    type: str  # a document's file name, or a note's kind
    provided_by: str  # a ProvidedBy value, or "officer" for the service's notes
    decision: ItemDecision
    reason: str
    pdf: bytes | None = None  # a disclosed or partly disclosed document: its searchable PDF
    regions: Sequence[Region] = ()  # a partly disclosed document: what the redactor removes
    text: str | None = None  # a note's text (a withheld note's is never read)
    note: bool = False  # a case note, not a document


@dataclass(frozen=True)
class Searches:
    """What was searched to answer the request: every case, document and note of the person."""

    searched_on: dt.date
    cases: Sequence[str]  # references
    documents: int
    notes: int


@dataclass(frozen=True)
class BundleRequest:
    reference: str
    person_name: str
    requester_name: str
    requester_kind: str  # a RequesterKind value
    received_on: dt.date
    due_on: dt.date
    prepared_on: dt.date
    searches: Searches
    recipients: Sequence[str]  # from the person's disclosures: "Hilltop School (school)"
    archive_months: int  # the schedule: archived this long after the last correspondence
    destroy_age: int  # and destroyed at this age
    items: Sequence[BundleItem]


@dataclass(frozen=True)
class IndexRow:
    number: int
    first_page: int | None  # None: withheld, no pages in the bundle
    last_page: int | None
    date: dt.date
    type: str
    provided_by: str
    decision: ItemDecision
    reason: str
    case_reference: str

    @property
    def pages(self) -> str:
        if self.first_page is None:
            return "none"
        return str(self.first_page) if self.first_page == self.last_page else f"{self.first_page}-{self.last_page}"


@dataclass(frozen=True)
class Bundle:
    pdf: bytes
    csv: bytes
    pages: int
    index: list[IndexRow] = field(default_factory=list)


def build_bundle(request: BundleRequest, *, redactor: Redactor | None, on_progress: Progress | None = None) -> Bundle:
    """The bundle for ``request``. Raises ``BundleProblem`` saying what to change when an
    item cannot go in as marked (a partly disclosed document with no regions or no redactor)."""
    _check(request, redactor=redactor)
    redacted = _redact_together(request.items, redactor=redactor)
    parts: list[pikepdf.Pdf] = []
    sizes: list[int | None] = []
    for done, item in enumerate(request.items, start=1):
        part = _item_pages(request, item, redacted=redacted.get(done - 1))
        sizes.append(len(part.pages) if part is not None else None)
        if part is not None:
            parts.append(part)
        if on_progress is not None:
            on_progress(done, len(request.items))
    cover = _open(_cover_letter(request))
    index_pages = _index_page_count(request, sizes, cover_pages=len(cover.pages))
    rows = _index_rows(request, sizes, first=len(cover.pages) + index_pages + 1)
    index = _open(_index(request, rows))
    if len(index.pages) != index_pages:  # the placeholder pass measures the same rows: cannot differ
        raise AssertionError("the index changed length between its two passes")
    pdf, pages = _assemble(request.reference, [cover, index, *parts])
    return Bundle(pdf=pdf, csv=notes_csv(request), pages=pages, index=rows)


def _check(request: BundleRequest, *, redactor: Redactor | None) -> None:
    for number, item in enumerate(request.items, start=1):
        where = f"item {number} ({item.type}, {item.date.isoformat()})"
        if item.decision is ItemDecision.withheld:
            continue
        if item.note and item.decision is ItemDecision.partly_disclosed:
            raise BundleProblem(f"{where} is a note: a note is disclosed or withheld whole; mark it one of those")
        if item.decision is ItemDecision.partly_disclosed and not item.regions:
            raise BundleProblem(f"{where} is partly disclosed but has no redaction marked: mark what to remove")
        if item.decision is ItemDecision.partly_disclosed and redactor is None:
            raise BundleProblem(f"{where} is partly disclosed, and this casevault has no redaction module")
        if not item.note and item.pdf is None:
            raise BundleProblem(
                f"{where} is marked {item.decision.value} but has no searchable PDF yet: wait for its OCR;"
                " if its reading failed, queue it for OCR again or scan it again, or mark it withheld"
            )


# --- the parts ------------------------------------------------------------------------------


class _Pages(FPDF):
    """A4 text pages in DejaVu Sans (every European script), or Helvetica without it."""

    def __init__(self) -> None:
        super().__init__(format="A4", unit="mm")
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(auto=True, margin=22)
        self.set_creator("casevault")
        self.set_producer("casevault")
        if (FONT_DIR / "DejaVuSans.ttf").is_file():
            self.add_font("body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "body"
        else:
            self.family = "helvetica"
        self.add_page()
        self.set_font(self.family, size=10)

    def text_of(self, value: str) -> str:
        if self.family == "body":
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 13) -> None:
        self.set_font(self.family, "B", size)
        self.multi_cell(0, 7, self.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.family, "", 10)
        self.ln(1)

    def para(self, value: str) -> None:
        self.multi_cell(0, 5, self.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _open(data: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(data))


def _cover_letter(request: BundleRequest) -> bytes:
    pdf = _Pages()
    pdf.heading(f"Your subject access request {request.reference}", size=15)
    pdf.para(
        f"To {request.requester_name}. Date: {request.prepared_on.isoformat()}. We received your request on"
        f" {request.received_on.isoformat()}; it was due by {request.due_on.isoformat()}."
    )
    pdf.para(
        f"You asked for the personal data we hold about {request.person_name}. This bundle holds a copy of it: an"
        " index, then every document and case note we may release to you, each listed in the index with what we"
        " decided about it and why. Where we removed part of a document, or withheld it, the index gives the"
        " reason and the exemption we relied on. Every page carries the reference of your request and its page"
        " number. The case notes are also enclosed as a spreadsheet file (CSV)."
    )
    for title, text in _article_15(request):
        pdf.heading(title, size=11)
        pdf.para(text)
    return pdf.bytes()


def _article_15(request: BundleRequest) -> list[tuple[str, str]]:
    """The information UK GDPR Article 15(1) and (2) require, in this order."""
    searched = request.searches
    recipients = (
        "We have shared information about the young person with: " + "; ".join(request.recipients) + "."
        if request.recipients
        else "We have not shared information about the young person with anyone outside our service."
    )
    sources = sorted(
        {PROVIDER_LABELS.get(item.provided_by, item.provided_by) for item in request.items}
        - {PROVIDER_LABELS["officer"]}
    )
    source = (
        "Some of the information was not collected from you: it came from " + ", ".join(sources) + "."
        " The index says who provided each document."
        if sources
        else "All of the information was given to us by you, the young person or our own staff."
    )
    return [
        (
            "Why we hold this information (purposes of processing)",
            "We use it to give information, advice and support about special educational needs and"
            " disability, to keep a record of the case so a colleague can take it over, and, anonymised, for"
            " statistics about how the service works. We process it with your consent and in the public"
            " interest of the support the service gives.",
        ),
        (
            "What kinds of information (categories of personal data)",
            "Personal details (name, date of birth, contact details where you agreed), case notes (personal"
            " details, progress summaries, agreed actions, outcomes), letters, reports and forms about the"
            " young person's education, health and care, and records of who we shared information with.",
        ),
        ("Who has received it (recipients)", recipients),
        (
            "How long we keep it (retention)",
            f"While a case is open we keep its records active. When it closes they are archived for"
            f" {request.archive_months} months after the last correspondence, and everything we hold about the"
            f" young person is destroyed at their {request.destroy_age}th birthday.",
        ),
        (
            "Your rights",
            "You may ask us to correct information that is wrong (rectification), to erase it, to restrict how we"
            " use it, and you may object to our using it. Where we rely on consent you may withdraw it at any"
            " time. Contact us to use any of these rights.",
        ),
        (
            "Your right to complain to the Information Commissioner",
            f"If you are unhappy with how we have handled your request or your data you may complain to the {ICO}.",
        ),
        ("Where the information came from (source)", source),
        (
            "The searches we made",
            f"On {searched.searched_on.isoformat()} we searched every case we hold about the young person"
            f" ({', '.join(searched.cases) or 'none'}), all {searched.documents} of their documents and all"
            f" {searched.notes} of their case notes. Each of them is listed in the index.",
        ),
    ]


_WIDTHS = (10, 15, 25, 37, 27, 56)  # mm: number, pages, date, type, provided by, decision and reason
_HEADINGS = ("No.", "Pages", "Date", "Type", "Provided by", "Decision")


def _index(request: BundleRequest, rows: Sequence[IndexRow]) -> bytes:
    pdf = _Pages()
    pdf.heading(f"Index of the bundle for request {request.reference}")
    pdf.set_font(pdf.family, size=9)
    with pdf.table(col_widths=_WIDTHS, text_align="LEFT", line_height=5, first_row_as_headings=True) as table:
        table.row([pdf.text_of(value) for value in _HEADINGS])
        for row in rows:
            table.row([pdf.text_of(value) for value in _index_cells(row)])
    return pdf.bytes()


def _index_cells(row: IndexRow) -> list[str]:
    return [
        str(row.number),
        row.pages,
        row.date.isoformat(),
        f"{row.type} ({row.case_reference})",
        PROVIDER_LABELS.get(row.provided_by, row.provided_by),
        f"{DECISION_LABELS[row.decision]}: {row.reason}",
    ]


def _index_rows(request: BundleRequest, sizes: Sequence[int | None], *, first: int) -> list[IndexRow]:
    rows, page = [], first
    for number, (item, size) in enumerate(zip(request.items, sizes, strict=True), start=1):
        span = (page, page + size - 1) if size else (None, None)
        page += size or 0
        rows.append(
            IndexRow(
                number=number,
                first_page=span[0],
                last_page=span[1],
                date=item.date,
                type=item.type,
                provided_by=item.provided_by,
                decision=item.decision,
                reason=item.reason,
                case_reference=item.case_reference,
            )
        )
    return rows


def _index_page_count(request: BundleRequest, sizes: Sequence[int | None], *, cover_pages: int) -> int:
    """The index's length, measured with page numbers as wide as the real ones can be."""
    widest = 10 ** len(str(cover_pages + 99 + sum(size or 0 for size in sizes)))
    placeholder = _index_rows(request, [size if size is None else size + widest for size in sizes], first=widest)
    return len(_open(_index(request, placeholder)).pages)


def _item_pages(request: BundleRequest, item: BundleItem, *, redacted: bytes | None) -> pikepdf.Pdf | None:
    if item.decision is ItemDecision.withheld:
        return None
    if item.note:
        return _open(_note(request, item))
    if item.decision is ItemDecision.partly_disclosed:
        assert redacted is not None
        return _open(redacted)
    assert item.pdf is not None
    return _open(item.pdf)


def _redact_together(items: Sequence[BundleItem], *, redactor: Redactor | None) -> dict[int, bytes]:
    """Every partly disclosed document redacted in one call, so the redactor works on all
    their redacted pages at once (one OCR process per core) rather than a page at a time:
    the documents are put end to end, their regions moved to the pages they land on, and
    the result cut back into documents. Returns each one's redacted PDF by its position."""
    wanted = [
        (position, item)
        for position, item in enumerate(items)
        if item.decision is ItemDecision.partly_disclosed and not item.note and item.pdf is not None
    ]
    if not wanted:
        return {}
    assert redactor is not None
    combined, regions, spans = pikepdf.Pdf.new(), [], []
    sources = [_open(item.pdf) for _, item in wanted if item.pdf is not None]
    for (position, item), source in zip(wanted, sources, strict=True):
        start = len(combined.pages)
        combined.pages.extend(source.pages)
        spans.append((position, start, len(source.pages)))
        regions += [dataclasses.replace(region, page=region.page + start) for region in item.regions]
    buffer = io.BytesIO()
    combined.save(buffer)
    redacted = _open(redactor(buffer.getvalue(), regions))
    if len(redacted.pages) != len(combined.pages):
        raise AssertionError("the redactor returned a different number of pages")
    found = {}
    for position, start, count in spans:
        part = pikepdf.Pdf.new()
        part.pages.extend(redacted.pages[start : start + count])
        out = io.BytesIO()
        part.save(out)
        found[position] = out.getvalue()
    return found


def _note(request: BundleRequest, item: BundleItem) -> bytes:
    pdf = _Pages()
    pdf.heading(f"Case note: {item.type}, {item.date.isoformat()} ({item.case_reference})", size=11)
    pdf.para(item.text or "")
    return pdf.bytes()


# --- one PDF, stamped -----------------------------------------------------------------------


def _assemble(reference: str, parts: Sequence[pikepdf.Pdf]) -> tuple[bytes, int]:
    out = pikepdf.Pdf.new()
    for part in parts:
        out.pages.extend(part.pages)
    for page in out.pages:  # nothing rides along but the page itself: no forms, links or comments
        for name in ("/Annots", "/AA"):
            if name in page.obj:
                del page.obj[name]
    out.docinfo = out.make_indirect(pikepdf.Dictionary(Title=pikepdf.String(f"Subject access request {reference}")))
    stamps = _open(_stamps(reference, [page.mediabox for page in out.pages]))
    for page, stamp in zip(out.pages, stamps.pages, strict=True):
        page.add_overlay(stamp, pikepdf.Rectangle(page.mediabox))
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True)
    return buffer.getvalue(), len(out.pages)


def _stamps(reference: str, boxes: Sequence[pikepdf.Array]) -> bytes:
    """One page per page of the bundle, the same size, with only the stamp at its foot."""
    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(auto=False)
    pdf.set_creator("casevault")
    total = len(boxes)
    for number, box in enumerate(boxes, start=1):
        width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
        pdf.add_page(format=(width, height))
        pdf.set_font("helvetica", size=8)
        label = f"{reference}   page {number} of {total}"
        label_width = pdf.get_string_width(label) + 8
        pdf.set_fill_color(255, 255, 255)
        pdf.set_xy((width - label_width) / 2, height - 20)
        pdf.cell(label_width, 12, label, align="C", fill=True)
    return bytes(pdf.output())


# --- the notes as CSV -----------------------------------------------------------------------


def notes_csv(request: BundleRequest) -> bytes:
    """One row per note, its text only when disclosed; UTF-8 with a byte-order mark so a
    spreadsheet opens it right, and no cell that a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in request.items:
        if not item.note:
            continue
        text = item.text if item.decision is ItemDecision.disclosed else ""
        cells = [request.reference, item.case_reference, item.date.isoformat(), item.type]
        writer.writerow([_cell(value) for value in [*cells, DECISION_LABELS[item.decision], item.reason, text or ""]])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
