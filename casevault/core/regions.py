"""A region of a page, as a redaction marks it: fractions of the page's width and height
measured from its top left corner, so it means the same at any resolution."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    page: int  # 1-based
    left: float
    top: float
    width: float
    height: float
