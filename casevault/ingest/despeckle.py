"""Clean a 300 dpi scan for OCR with Pillow only: fade the specks, then threshold them away."""

from __future__ import annotations

from PIL import Image, ImageFilter

MIN_CONTRAST = 8  # grey levels between ink and paper below which a page holds no ink to read


def despeckle(image: Image.Image) -> tuple[Image.Image, int | None]:
    """A bilevel copy of ``image`` without isolated specks, and the grey level it was cut
    at (None for a blank page, which comes out white).

    A 3x3 mean lightens a one- to three-pixel speck to 170 or paler while strokes of
    300 dpi text (three or more pixels wide) stay dark, and Otsu's threshold, the one
    tesseract's own binarisation would choose, falls between the two. On a blank page
    Otsu would split the paper's own grain in half and hand tesseract a page of noise
    to read for seconds; so a page whose darker half is within MIN_CONTRAST of its
    lighter half is taken as blank."""
    smooth = image.convert("L").filter(ImageFilter.BoxBlur(1))
    histogram = smooth.histogram()
    level = otsu_threshold(histogram)
    if _contrast(histogram, level) < MIN_CONTRAST:
        return Image.new("1", smooth.size, 1), None
    return smooth.point(lambda value: 255 if value > level else 0, mode="1"), level


def otsu_threshold(histogram: list[int]) -> int:
    """The grey level (0-255) that best splits a 256-bin histogram into ink and paper:
    values at or below it are ink (Otsu, 1979: the largest between-class variance)."""
    total = sum(histogram)
    weighted_total = sum(level * count for level, count in enumerate(histogram))
    below = weighted_below = 0
    best_level, best_spread = 0, -1.0
    for level, count in enumerate(histogram):
        below += count
        weighted_below += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        spread = below * above * (weighted_below / below - (weighted_total - weighted_below) / above) ** 2
        if spread > best_spread:
            best_level, best_spread = level, spread
    return best_level


def _contrast(histogram: list[int], level: int) -> float:
    """How much darker, on average, the grey levels at or below ``level`` are than those above."""
    below, above = histogram[: level + 1], histogram[level + 1 :]
    if not sum(below) or not sum(above):
        return 0.0
    mean_below = sum(value * count for value, count in enumerate(below)) / sum(below)
    mean_above = sum(value * count for value, count in enumerate(above, start=level + 1)) / sum(above)
    return mean_above - mean_below
