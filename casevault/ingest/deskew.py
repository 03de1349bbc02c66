"""Estimate a scan's skew with Pillow only: the angle whose row profile is sharpest."""

from __future__ import annotations

from PIL import Image, ImageOps

_WIDTH = 800  # estimate on a small copy: lines of text stay visible, cost stays low
_COARSE = [x / 2 for x in range(-10, 11)]  # -5 .. 5 degrees, half-degree steps


def estimate_skew_cw(image: Image.Image) -> float:
    """Clockwise degrees to turn ``image`` so its text lines run level (0.0 when unsure)."""
    small = image.convert("L")
    small.thumbnail((_WIDTH, _WIDTH * 4))
    ink = ImageOps.invert(small)  # text bright on black, so turning adds no ink
    best = max(_COARSE, key=lambda a: _sharpness(ink, a))
    fine = [best + x / 10 for x in range(-5, 6)]
    return max(fine, key=lambda a: _sharpness(ink, a))


def _sharpness(ink: Image.Image, cw_degrees: float) -> float:
    turned = ink.rotate(-cw_degrees, resample=Image.Resampling.BILINEAR)
    values = list(turned.resize((1, turned.height), Image.Resampling.BOX).tobytes())  # mean ink per row
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values)
