"""Redaction that really removes, with real tesseract on generated scans.

What matters to the young person and to the third party: a redacted name cannot be read
back from the released PDF by any means (its text, its images read by OCR, its metadata,
bookmarks, annotations, attachments), while the rest of the page still reads.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.errors import InvalidInput
from casevault.core.models import DocumentStatus, StoredObject, Variant
from casevault.core.regions import Region
from casevault.ingest.options import OcrOptions
from casevault.ingest.redact import redact_pdf, regions_for_term, words_for
from casevault.ingest.searchable import SearchableResult, make_searchable
from casevault.ingest.words import PageWords, Word
from tests.ingest.scans import pdf_from_image, pdf_with_text_pages, save, text_strip
from tests.ingest.uploads import run_ocr, upload
from tests.people import CONSENT

OPTIONS = OcrOptions(processes=2)
NAME = "Fairweather"
LINES = ("Annual review of provision", f"Letter from Marjorie {NAME}", "Speech therapy twice weekly")


def scan_with_a_name(tmp_path: Path) -> SearchableResult:
    image = text_strip(LINES, size=(1500, 460))
    return make_searchable(pdf_from_image(image, tmp_path / "scan.pdf"), workdir=tmp_path / "work", options=OPTIONS)


def pdftotext(pdf: Path | bytes, tmp_path: Path) -> str:
    if isinstance(pdf, bytes):
        path = tmp_path / "check.pdf"
        path.write_bytes(pdf)
        pdf = path
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def ocr_of_every_image(pdf: Path | bytes, tmp_path: Path) -> list[str]:
    """Every image in the file (pages, forms, anything), read by tesseract on its own."""
    texts = []
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as doc:
        for number, obj in enumerate(doc.objects):
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                path = tmp_path / f"image{number}.png"
                pikepdf.PdfImage(obj).as_pil_image().save(path)
                done = subprocess.run(["tesseract", str(path), "-"], capture_output=True, text=True, check=True)
                texts.append(done.stdout)
    assert texts, "the file has images to read"
    return texts


def everything_readable(pdf: bytes) -> str:
    """Every string and every stream (decoded where it can be) of every object, as text."""
    found = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for obj in doc.objects:
            found.append(repr(obj) if not isinstance(obj, pikepdf.Stream) else repr(obj.stream_dict))
            if isinstance(obj, pikepdf.Stream):
                try:
                    found.append(obj.read_bytes().decode("latin-1"))
                except pikepdf.PdfError:
                    found.append(obj.read_raw_bytes().decode("latin-1"))
        found.append(repr(doc.trailer))
    return "\n".join(found)


def test_a_name_on_a_scan_is_gone_from_text_and_images_and_the_rest_still_reads(tmp_path: Path) -> None:
    result = scan_with_a_name(tmp_path)
    words = [PageWords(page.page, page.words) for page in result.pages]
    assert NAME in pdftotext(result.searchable_pdf, tmp_path), "the searchable PDF had the name in its text"
    assert any(NAME in text for text in ocr_of_every_image(result.searchable_pdf, tmp_path)), "and in its image"

    regions = regions_for_term(words, NAME.upper())
    assert len(regions) == 1
    redacted = redact_pdf(result.searchable_pdf.read_bytes(), regions, scratch=tmp_path / "scratch", options=OPTIONS)

    text = pdftotext(redacted, tmp_path)
    assert NAME.lower() not in text.lower()
    assert "Marjorie" in text and "Speech therapy twice weekly" in text and "Annual review" in text
    for seen in ocr_of_every_image(redacted, tmp_path):
        assert NAME.lower() not in seen.lower()
        assert "Speech" in seen
    assert NAME.lower() not in everything_readable(redacted).lower()
    assert list((tmp_path / "scratch").iterdir()) == [], "no plaintext left in scratch"


def pdf_with_a_name_everywhere(path: Path) -> Path:
    """A word-processed letter whose name also sits in its information, XMP, a bookmark,
    an annotation, an attachment and a script."""
    pdf_with_text_pages(path, [(f"Letter from Marjorie {NAME} about the review",), ("Speech therapy twice weekly",)])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = f"Notes on {NAME}"
        with pdf.open_metadata() as xmp:
            xmp["dc:title"] = f"Notes on {NAME}"
        with pdf.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem(f"{NAME} section", 0))
        note = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Text,
                Rect=[400, 700, 420, 720],
                Contents=pikepdf.String(f"Ask {NAME}"),
            )
        )
        pdf.pages[1].obj.Annots = pdf.make_indirect(pikepdf.Array([note]))  # on the page without a region
        pdf.attachments[f"{NAME}.txt"] = pikepdf.AttachedFileSpec(pdf, f"about {NAME}".encode())
        script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(f"'{NAME}'")))
        pdf.Root.Names.JavaScript = pikepdf.Dictionary(Names=pikepdf.Array(["hello", script]))
        pdf.save(path)
    return path


def test_metadata_bookmarks_annotations_attachments_and_scripts_naming_them_are_gone(tmp_path: Path) -> None:
    source = pdf_with_a_name_everywhere(tmp_path / "letter.pdf")
    result = make_searchable(source, workdir=tmp_path / "work", options=OPTIONS)
    assert [page.method for page in result.pages] == ["text_layer", "text_layer"]
    before = source.read_bytes()
    with pikepdf.open(source) as pdf:
        assert NAME in str(pdf.docinfo["/Title"]) and NAME in str(pdf.open_metadata()["dc:title"])
        assert NAME in pdf.open_outline().root[0].title and NAME in str(pdf.pages[1].Annots[0].Contents)
        assert NAME in next(iter(pdf.attachments)) and "/JavaScript" in pdf.Root.Names

    regions = regions_for_term([PageWords(page.page, page.words) for page in result.pages], NAME)
    assert [region.page for region in regions] == [1]
    redacted = redact_pdf(before, regions, scratch=tmp_path / "scratch", options=OPTIONS)

    assert NAME.lower() not in everything_readable(redacted).lower()
    with pikepdf.open(io.BytesIO(redacted)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root and "/Outlines" not in pdf.Root
        assert "/Names" not in pdf.Root and len(pdf.attachments) == 0
        assert all("/Annots" not in page.obj for page in pdf.pages)
        assert len(pdf.pages) == 2
    text = pdftotext(redacted, tmp_path)
    assert "Marjorie" in text and "Speech therapy twice weekly" in text


def test_a_term_on_two_pages_gives_two_regions_case_and_accents_folded(tmp_path: Path) -> None:
    source = pdf_with_text_pages(
        tmp_path / "two.pdf",
        [("The review meeting with Zoe Fairweather went well",), ("Speech therapy agreed with ZOE FAIRWEATHER today",)],
    )
    result = make_searchable(source, workdir=tmp_path / "work", options=OPTIONS)
    words = [PageWords(page.page, page.words) for page in result.pages]
    regions = regions_for_term(words, "Zoë  Fairweather")
    assert [region.page for region in regions] == [1, 2]
    assert regions_for_term(words, "Fairweather Zoe") == []
    assert regions_for_term(words, "Zoe Fairweathers") == []
    for region in regions:
        assert 0 <= region.left < region.left + region.width <= 1 and 0 <= region.top < region.top + region.height <= 1


def test_a_term_across_a_line_break_gives_one_region_per_line() -> None:
    page = PageWords(
        3,
        (
            Word("from", 0.1, 0.10, 0.05, 0.02),
            Word("Marjorie", 0.8, 0.10, 0.1, 0.02),
            Word("(Fairweather),", 0.1, 0.13, 0.12, 0.02),
            Word("school", 0.3, 0.13, 0.07, 0.02),
        ),
    )
    regions = regions_for_term([page], "marjorie fairweather")
    assert len(regions) == 2 and {region.page for region in regions} == {3}
    assert regions[0].left < 0.8 < regions[0].left + regions[0].width and regions[0].top < 0.10
    assert regions[1].left < 0.1 and regions[1].left + regions[1].width < 0.3, "the next word is not covered"


def test_a_region_on_a_missing_page_is_refused(tmp_path: Path) -> None:
    source = pdf_with_text_pages(tmp_path / "one.pdf", [("One page only, long enough to keep its text layer",)])
    with pytest.raises(InvalidInput, match="page 2"):
        redact_pdf(source.read_bytes(), [Region(2, 0.1, 0.1, 0.2, 0.2)], scratch=tmp_path / "scratch")


def test_processing_keeps_word_positions_encrypted_and_old_documents_are_read_again(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    scan = save(text_strip(LINES, size=(1500, 460)), tmp_path / "letter.png")
    document = upload(backend_client, officer, case_id, scan).json()
    assert run_ocr(backend_container, document["id"]) == DocumentStatus.ready
    services = backend_container
    scratch = services.settings.data_dir / "tmp"

    def read() -> list[PageWords]:
        return words_for(
            services.new_session,
            vault=services.vault,
            document_id=document["id"],
            scratch=scratch,
            options=services.ocr_options,
            limits=services.upload_limits,
        )

    kept = read()
    assert len(regions_for_term(kept, NAME)) == 1
    with services.new_session() as session:
        row = session.exec(
            select(StoredObject).where(
                StoredObject.document_id == document["id"], StoredObject.variant == Variant.words
            )
        ).one()
    with services.vault.store.reader(tier=row.tier, key=row.object_key) as stored:
        raw = stored.read()
    assert NAME.encode() not in raw and b"Speech" not in raw, "the word positions are stored encrypted"
    assert backend_client.get(
        f"/api/v1/documents/{document['id']}/file?variant=words", headers=officer
    ).status_code in (404, 422), "word positions are never downloaded"

    # A document processed before word positions were kept: read again from its original.
    with transaction(services.new_session) as session:
        session.delete(session.get(StoredObject, row.id))
    services.vault.delete_everywhere([row.object_key], tiers=[row.tier])
    again = read()
    assert len(regions_for_term(again, NAME)) == 1
    assert list(scratch.iterdir()) == []


def test_a_redacted_page_is_an_image_of_the_page_with_black_where_the_region_was(tmp_path: Path) -> None:
    result = scan_with_a_name(tmp_path)
    region = Region(1, 0.0, 0.0, 0.5, 0.3)
    redacted = redact_pdf(result.searchable_pdf.read_bytes(), [region], scratch=tmp_path / "s", options=OPTIONS)
    with pikepdf.open(io.BytesIO(redacted)) as pdf:
        (image,) = (pikepdf.PdfImage(obj) for obj in pdf.pages[0].get_images().values())
        picture: Image.Image = image.as_pil_image().convert("L")
    width, height = picture.size
    corner = picture.crop((0, 0, int(width * 0.5) - 2, int(height * 0.3) - 2))
    assert corner.getextrema() == (0, 0) or max(corner.getextrema()) < 16, "the region is solid black"
    assert "Speech" in pdftotext(redacted, tmp_path)


def test_a_document_moved_to_another_person_takes_its_word_positions_with_it(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    scan = save(text_strip(LINES, size=(1500, 460)), tmp_path / "letter.png")
    document = upload(backend_client, officer, case_id, scan).json()
    assert run_ocr(backend_container, document["id"]) == DocumentStatus.ready
    services = backend_container

    def words_object() -> StoredObject:
        with services.new_session() as session:
            return session.exec(
                select(StoredObject).where(
                    StoredObject.document_id == document["id"], StoredObject.variant == Variant.words
                )
            ).one()

    before = words_object()
    person = backend_client.post(
        "/api/v1/people",
        json={"full_name": "Other Example", "date_of_birth": "2013-05-06", "consent": CONSENT},
        headers=officer,
    ).json()
    other_case = backend_client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"},
        headers=officer,
    ).json()
    moved = backend_client.post(
        f"/api/v1/documents/{document['id']}/move",
        json={"case_id": other_case["id"], "reason": "misfiled"},
        headers=officer,
    )
    assert moved.status_code == 200, moved.text

    after = words_object()
    assert after.object_key != before.object_key, "re-encrypted under the other person's key"
    words = words_for(
        services.new_session,
        vault=services.vault,
        document_id=document["id"],
        scratch=services.settings.data_dir / "tmp",
        options=services.ocr_options,
        limits=services.upload_limits,
    )
    assert len(regions_for_term(words, NAME)) == 1


def test_a_name_hyphenated_at_a_line_end_is_found_in_both_halves() -> None:
    page = PageWords(
        1,
        (
            Word("Letter", 0.1, 0.10, 0.08, 0.02),
            Word("from", 0.2, 0.10, 0.05, 0.02),
            Word("Marjorie", 0.6, 0.10, 0.1, 0.02),
            Word("Fair-", 0.8, 0.10, 0.06, 0.02),
            Word("weather,", 0.1, 0.13, 0.1, 0.02),
            Word("school", 0.3, 0.13, 0.07, 0.02),
        ),
    )
    for term in ("Fairweather", "Marjorie Fairweather"):
        regions = regions_for_term([page], term)
        assert len(regions) == 2, term
        assert regions[-2].left < 0.8 < regions[-2].left + regions[-2].width, "the head, at the line's end"
        assert regions[-1].left < 0.1 and regions[-1].left + regions[-1].width < 0.3, "the tail, on the next line"
    assert regions_for_term([page], "weather") == [regions[-1]], "the tail is a word of its own too"
    assert regions_for_term([page], "Fairweathers") == []
    same_line = PageWords(1, (Word("Fair-", 0.1, 0.1, 0.05, 0.02), Word("weather", 0.2, 0.1, 0.07, 0.02)))
    assert regions_for_term([same_line], "Fairweather") == [], "a hyphen mid-line joins nothing"
