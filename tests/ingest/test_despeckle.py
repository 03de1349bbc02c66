"""Despeckling: specks go, the text stays, whatever shade the paper is."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

from casevault.ingest.despeckle import despeckle, otsu_threshold
from casevault.ingest.searchable import make_searchable
from tests.ingest.scans import WORDS, pdf_from_image, text_strip, words_in
from tests.ingest.test_pipeline import OPTIONS

TEXT_BOX = (60, 60, 1140, 280)  # where text_strip draws its two lines


def speckled(image: Image.Image, specks: int = 1500, seed: int = 7) -> tuple[Image.Image, list[tuple[int, int]]]:
    """Scanner dust: one- or two-pixel dark specks, at least four pixels apart, none on the text."""
    rng = random.Random(seed)
    left, top, right, bottom = TEXT_BOX
    cells = [
        (x, y)
        for x in range(2, image.width - 8, 8)
        for y in range(2, image.height - 8, 8)
        if not (left - 8 <= x <= right and top - 8 <= y <= bottom)
    ]
    out = image.copy()
    draw = ImageDraw.Draw(out)
    placed = []
    for x, y in rng.sample(cells, specks):
        x, y = x + rng.randint(0, 3), y + rng.randint(0, 3)
        draw.rectangle((x, y, x + rng.randint(0, 1), y), fill=rng.randint(0, 60))
        placed.append((x, y))
    return out, placed


def ink_in_text_box(image: Image.Image) -> int:
    return image.convert("L").crop(TEXT_BOX).histogram()[0]


def test_specks_are_removed_and_the_strokes_kept() -> None:
    page = text_strip()
    dusty, specks = speckled(page)
    assert all(dusty.getpixel(speck) <= 60 for speck in specks), "the specks are there to begin with"

    clean, _ = despeckle(dusty)

    assert clean.mode == "1", "tesseract is handed a bilevel page"
    assert [speck for speck in specks if not clean.getpixel(speck)] == []
    assert ink_in_text_box(clean) >= 0.8 * ink_in_text_box(page.point(lambda v: 0 if v < 128 else 255))


def test_dark_paper_is_cut_at_its_own_level_not_a_fixed_grey() -> None:
    """A phone photo of a letter: grey paper (120), darker text (20). A fixed threshold
    such as 160 would turn the whole page black; Otsu's level falls between the two."""
    photo = text_strip().point(lambda v: 20 + v * 100 // 255)
    clean, level = despeckle(photo)
    assert 20 < level < 120
    paper = clean.convert("L").histogram()
    assert paper[255] > 0.8 * clean.width * clean.height, "the paper comes out white"
    assert ink_in_text_box(clean) > 0


def test_otsu_threshold_splits_two_shades_between_them() -> None:
    histogram = [0] * 256
    histogram[30], histogram[230] = 100, 900
    assert 30 <= otsu_threshold(histogram) < 230
    assert otsu_threshold([0] * 255 + [1000]) == 0, "a blank page has no ink to split off"


def test_a_speckled_scan_is_read_in_full(tmp_path: Path) -> None:
    dusty, _ = speckled(text_strip(), specks=3000)
    upload = pdf_from_image(dusty, tmp_path / "dusty.pdf")
    result = make_searchable(upload, workdir=tmp_path / "work", options=OPTIONS)
    assert "despeckled" in result.pages[0].why
    assert words_in(result.pages[0].text) >= {w.lower() for w in WORDS}, result.pages[0].why


def test_a_blank_page_comes_out_white_not_as_half_its_paper_grain() -> None:
    """Otsu splits any histogram in two, a blank page's grain too: half the page would be
    'ink' for tesseract to read for seconds. A page with no real contrast is blank."""
    paper = Image.effect_noise((1200, 400), 12).point(lambda v: min(255, 200 + v // 4))
    clean, level = despeckle(paper)
    assert level is None
    assert clean.convert("L").histogram()[255] == clean.width * clean.height


def test_faint_text_is_still_read_as_text() -> None:
    faint = text_strip().point(lambda v: 235 + v * 20 // 255)  # grey 235 on white: tesseract reads it
    clean, level = despeckle(faint)
    assert level is not None and ink_in_text_box(clean) > 0.5 * ink_in_text_box(text_strip())


def test_a_blank_scanned_page_is_not_read(tmp_path: Path) -> None:
    paper = Image.effect_noise((2480, 3508), 12).point(lambda v: min(255, 200 + v // 4))
    upload = pdf_from_image(paper, tmp_path / "blank.pdf")
    result = make_searchable(upload, workdir=tmp_path / "work", options=OPTIONS)
    assert "blank, no ink to read" in result.pages[0].why
    assert result.pages[0].text == ""
