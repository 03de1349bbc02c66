"""2-D affine matrices in PDF order, to map tesseract's page back onto the original page.

A matrix ``(a, b, c, d, e, f)`` maps ``(x, y)`` to ``(a x + c y + e, b x + d y + f)``;
``m1 @ m2`` applies ``m1`` first, as PDF's ``cm`` operator composes. All
coordinates are y-up (PDF style), in pixels or points as each step says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Matrix:
    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 1.0
    e: float = 0.0
    f: float = 0.0

    def __matmul__(self, then: "Matrix") -> "Matrix":
        m, n = self, then
        return Matrix(
            m.a * n.a + m.b * n.c,
            m.a * n.b + m.b * n.d,
            m.c * n.a + m.d * n.c,
            m.c * n.b + m.d * n.d,
            m.e * n.a + m.f * n.c + n.e,
            m.e * n.b + m.f * n.d + n.f,
        )

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f

    def inverse(self) -> "Matrix":
        det = self.a * self.d - self.b * self.c
        a, b, c, d = self.d / det, -self.b / det, -self.c / det, self.a / det
        return Matrix(a, b, c, d, -(self.e * a + self.f * c), -(self.e * b + self.f * d))

    def pdf(self) -> str:
        return " ".join(f"{v:.6f}" for v in (self.a, self.b, self.c, self.d, self.e, self.f))


def scale(sx: float, sy: float) -> Matrix:
    return Matrix(sx, 0, 0, sy, 0, 0)


def translate(tx: float, ty: float) -> Matrix:
    return Matrix(1, 0, 0, 1, tx, ty)


def turn(width: float, height: float, cw_degrees: float) -> tuple[Matrix, float, float]:
    """Turn a ``width`` x ``height`` box clockwise; the turned box's corner lands on (0, 0).

    Returns the forward matrix and the turned box's size. Exact for multiples of
    90 degrees; for small (deskew) angles it matches Pillow's ``rotate(expand=True)``
    to within a pixel.
    """
    r = math.radians(-cw_degrees)
    cos, sin = math.cos(r), math.sin(r)
    if abs(cw_degrees) % 90 == 0:
        cos, sin = round(cos), round(sin)
    spin = Matrix(cos, sin, -sin, cos, 0, 0)
    corners = [spin.apply(x, y) for x, y in ((0, 0), (width, 0), (0, height), (width, height))]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return spin @ translate(-min(xs), -min(ys)), max(xs) - min(xs), max(ys) - min(ys)
