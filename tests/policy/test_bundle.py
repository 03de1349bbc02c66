"""The subject access bundle as a reader sees it: pdftotext of the PDF, and the notes CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pikepdf
import pytest

from casevault.core.models import ItemDecision
from casevault.core.regions import Region
from casevault.policy.bundle import BundleItem, BundleProblem, BundleRequest, Searches, build_bundle
from tests.ingest.scans import pdf_with_text_pages

REFERENCE = "SAR-48213907"
ARTICLE_15 = (
    "purposes of processing",
    "categories of personal data",
    "recipients",
    "retention",
    "rectification",
    "erase",
    "restrict",
    "object",
    "Information Commissioner's Office",
    "ico.org.uk",
    "source",
    "The searches we made",
)


def text_pdf(tmp_path: Path, name: str, pages: list[tuple[str, ...]]) -> bytes:
    return pdf_with_text_pages(tmp_path / name, pages).read_bytes()


def page_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "bundle.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return out.split("\f")[:-1]  # pdftotext ends every page with a form feed


def blanking_redactor(calls: list[Sequence[Region]]):
    """A stand-in for the redaction module: empties every page a region touches."""

    def redact(pdf: bytes, regions: Sequence[Region]) -> bytes:
        calls.append(regions)
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            for region in regions:
                doc.pages[region.page - 1].obj.Contents = doc.make_stream(b"")
            out = io.BytesIO()
            doc.save(out)
            return out.getvalue()

    return redact


def request_of(items: list[BundleItem]) -> BundleRequest:
    return BundleRequest(
        reference=REFERENCE,
        person_name="Jamie Example",
        requester_name="Pat Example",
        requester_kind="parent_carer",
        received_on=dt.date(2026, 10, 5),
        due_on=dt.date(2026, 11, 5),
        prepared_on=dt.date(2026, 10, 20),
        searches=Searches(searched_on=dt.date(2026, 10, 20), cases=["SEN-2026-00007"], documents=3, notes=2),
        recipients=["Hilltop Academy (school)"],
        archive_months=12,
        destroy_age=25,
        items=items,
    )


@pytest.fixture
def items(tmp_path: Path) -> list[BundleItem]:
    case = "SEN-2026-00007"
    return [
        BundleItem(
            case,
            dt.date(2026, 9, 2),
            "school-report.pdf",
            "school",
            ItemDecision.disclosed,
            "released in full",
            pdf=text_pdf(tmp_path, "a.pdf", [("Annual review of progress",), ("Reading age improved",)]),
        ),
        BundleItem(
            case,
            dt.date(2026, 9, 3),
            "my-letter.pdf",
            "young_person",
            ItemDecision.withheld,
            "provided by the young person, who has not agreed to share it",
            pdf=text_pdf(tmp_path, "b.pdf", [("Please keep this private marmalade",)]),
        ),
        BundleItem(
            case,
            dt.date(2026, 9, 4),
            "progress summary",
            "officer",
            ItemDecision.disclosed,
            "released in full",
            text="Met the family at home; agreed to ask the school for a review.",
            note=True,
        ),
        BundleItem(
            case,
            dt.date(2026, 9, 5),
            "clinic-letter.pdf",
            "professional",
            ItemDecision.partly_disclosed,
            "third party: a clinician's name removed (UK GDPR Art. 15(4))",
            pdf=text_pdf(tmp_path, "c.pdf", [("Dr Quillfeather wrote this",), ("Therapy plan agreed",)]),
            regions=[Region(page=1, left=0.1, top=0.1, width=0.5, height=0.1)],
        ),
        BundleItem(
            case,
            dt.date(2026, 9, 6),
            "agreed action",
            "officer",
            ItemDecision.withheld,
            "serious harm exemption",
            text="Concern noted about zanzibar",
            note=True,
        ),
    ]


def test_the_bundle_reads_as_a_reply_with_an_index_documents_notes_and_stamps(
    items: list[BundleItem], tmp_path: Path
) -> None:
    calls: list[Sequence[Region]] = []
    progress: list[tuple[int, int]] = []
    bundle = build_bundle(
        request_of(items), redactor=blanking_redactor(calls), on_progress=lambda d, n: progress.append((d, n))
    )
    pages = page_texts(bundle.pdf, tmp_path)
    whole = "\n".join(pages)

    # The cover letter: every heading Article 15 asks for, the searches, the ICO.
    first_index_page = next(n for n, text in enumerate(pages) if "Index of the bundle" in text)
    cover = " ".join(" ".join(pages[:first_index_page]).split())
    for heading in ARTICLE_15:
        assert heading in cover, heading
    assert "Hilltop Academy" in cover and "12 months" in cover and "25th birthday" in cover
    assert "a school" in cover and "a professional" in cover  # sources not collected from the requester

    # Every page stamped "page n of N", with N the bundle's length.
    assert len(pages) == bundle.pages
    for number, text in enumerate(pages, start=1):
        assert re.findall(r"(SAR-\d+) +page (\d+) of (\d+)", text) == [(REFERENCE, str(number), str(bundle.pages))]

    # The index: one row per item in order, pages where each one lies, the reason for each.
    assert [row.type for row in bundle.index] == [item.type for item in items]
    assert [row.decision for row in bundle.index] == [item.decision for item in items]
    report, letter, note, clinic, withheld_note = bundle.index
    assert (letter.first_page, withheld_note.first_page) == (None, None)
    assert report.last_page - report.first_page == 1 and note.first_page == note.last_page
    assert clinic.first_page == note.last_page + 1 and clinic.last_page == bundle.pages
    assert "Annual review" in pages[report.first_page - 1] and "Reading age" in pages[report.last_page - 1]
    assert "Met the family" in pages[note.first_page - 1]
    index_text = " ".join(" ".join(pages[first_index_page : report.first_page - 1]).split())
    assert "withheld" in index_text and "has not agreed" in index_text and "serious harm" in index_text

    # Withheld items are absent; the redacted page lost its text, the other page kept its own.
    assert "Annual review" in whole and "Therapy plan agreed" in whole
    assert "marmalade" not in whole and "zanzibar" not in whole and "Quillfeather" not in whole
    assert calls == [[Region(page=1, left=0.1, top=0.1, width=0.5, height=0.1)]]
    assert progress[-1] == (5, 5)


def test_the_notes_csv_holds_each_note_and_the_text_of_disclosed_ones_only(items: list[BundleItem]) -> None:
    bundle = build_bundle(request_of(items), redactor=blanking_redactor([]))
    rows = list(csv.DictReader(io.StringIO(bundle.csv.decode("utf-8-sig"))))
    assert [(row["kind"], row["decision"]) for row in rows] == [
        ("progress summary", "disclosed"),
        ("agreed action", "withheld"),
    ]
    assert rows[0]["text"].startswith("Met the family") and rows[0]["reference"] == REFERENCE
    assert rows[1]["text"] == "" and rows[1]["reason"] == "serious harm exemption"


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(items: list[BundleItem]) -> None:
    note = BundleItem("SEN-1", dt.date(2026, 9, 4), "final outcome", "officer", ItemDecision.disclosed, "ok")
    formula = BundleItem(**{**note.__dict__, "text": '=HYPERLINK("http://x")', "note": True})
    rows = list(csv.reader(io.StringIO(build_bundle(request_of([formula]), redactor=None).csv.decode("utf-8-sig"))))
    assert rows[1][-1] == '\'=HYPERLINK("http://x")'


def test_what_cannot_go_in_as_marked_is_refused_saying_what_to_change(items: list[BundleItem]) -> None:
    with pytest.raises(BundleProblem, match="no redaction module"):
        build_bundle(request_of(items), redactor=None)
    unmarked = BundleItem(**{**items[3].__dict__, "regions": ()})
    with pytest.raises(BundleProblem, match="mark what to remove"):
        build_bundle(request_of([unmarked]), redactor=blanking_redactor([]))
    note = BundleItem(**{**items[2].__dict__, "decision": ItemDecision.partly_disclosed})
    with pytest.raises(BundleProblem, match="disclosed or withheld whole"):
        build_bundle(request_of([note]), redactor=blanking_redactor([]))


def test_a_document_whose_reading_failed_is_refused_saying_what_to_do(items: list[BundleItem]) -> None:
    """Its OCR failed, so it never gets a searchable PDF: "wait for its OCR" alone would wait for ever."""
    unread = BundleItem(**{**items[0].__dict__, "pdf": None})
    with pytest.raises(BundleProblem, match="if its reading failed, queue it for OCR again or scan it again"):
        build_bundle(request_of([unread]), redactor=None)


def test_partly_disclosed_documents_are_redacted_in_one_pass_each_on_its_own_pages(tmp_path: Path) -> None:
    region = Region(page=1, left=0.1, top=0.1, width=0.5, height=0.1)

    def partly(name: str, first: str, second: str) -> BundleItem:
        pdf = text_pdf(tmp_path, name, [(first,), (second,)])
        return BundleItem(
            "SEN-1",
            dt.date(2026, 9, 5),
            name,
            "school",
            ItemDecision.partly_disclosed,
            "a name",
            pdf=pdf,
            regions=[region],
        )

    calls: list[Sequence[Region]] = []
    items = [partly("a.pdf", "Ashworth alpha", "Kept alpha"), partly("b.pdf", "Brackenbury beta", "Kept beta")]
    bundle = build_bundle(request_of(items), redactor=blanking_redactor(calls))
    whole = "\n".join(page_texts(bundle.pdf, tmp_path))
    assert "Kept alpha" in whole and "Kept beta" in whole
    assert "Ashworth" not in whole and "Brackenbury" not in whole
    assert [[r.page for r in regions] for regions in calls] == [[1, 3]]  # one call, the second document's page moved
    first, second = bundle.index
    assert (second.first_page - first.first_page, second.last_page - second.first_page) == (2, 1)
