"""The OCR engine: tesseract, run as a subprocess. The only module that runs programs.

One run per page produces both the invisible text-only PDF page and the plain
text (``-c textonly_pdf=1 pdf txt tsv``; the tsv's word confidences let the
caller notice a page that came out as nonsense because it lies sideways).
Each process gets ``OMP_THREAD_LIMIT=1``: parallelism comes from running one
process per core, and tesseract's own OpenMP threads only fight over them.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from casevault.core.errors import ConfigurationError, TransientError, UnreadableDocument
from casevault.ingest.options import OcrOptions

log = logging.getLogger(__name__)


class OcrFailed(UnreadableDocument):
    """The OCR engine stopped on a page; the original is kept and can be queued again."""

    title = "OCR failed"


class OcrTimedOut(TransientError):
    """A page took longer than the per-page limit (the machine may be overloaded)."""

    title = "OCR timed out"


@dataclass(frozen=True, slots=True)
class WordBox:
    """A recognised word and its box in the pixels of the image tesseract read (from its top left)."""

    text: str
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Recognition:
    text_pdf: Path  # one page, text only (invisible), sized image pixels * 72 / dpi
    text: str
    words: int
    mean_confidence: float  # 0..100 over recognised words; 0 when there are none
    seconds: float
    boxes: tuple[WordBox, ...] = ()  # from the same run's tsv: no second OCR pass


@dataclass(frozen=True, slots=True)
class Orientation:
    cw_degrees: int  # turn the image clockwise by this much to make the text upright
    confidence: float


class OcrEngine(Protocol):
    def recognise(self, image: Path, *, dpi: int, out_stem: Path) -> Recognition: ...

    def orientation(self, image: Path, *, dpi: int) -> Orientation | None: ...


class Tesseract:
    def __init__(self, *, languages: str, timeout_s: float, executable: str = "tesseract") -> None:
        self.languages = languages
        self.timeout_s = timeout_s
        self.executable = executable
        self._env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def recognise(self, image: Path, *, dpi: int, out_stem: Path) -> Recognition:
        started = time.perf_counter()
        self._run(
            [
                str(image),
                str(out_stem),
                "--dpi",
                str(dpi),
                "-l",
                self.languages,
                "--psm",
                "3",
                "-c",
                "textonly_pdf=1",
                "pdf",
                "txt",
                "tsv",
            ],
            what="recognising text",
        )
        text = out_stem.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
        words, confidence, boxes = _read_tsv(out_stem.with_suffix(".tsv"))
        return Recognition(
            out_stem.with_suffix(".pdf"),
            text.replace("\f", "").strip(),
            words,
            confidence,
            time.perf_counter() - started,
            boxes,
        )

    def orientation(self, image: Path, *, dpi: int) -> Orientation | None:
        """Tesseract's OSD (``--psm 0``); None when it cannot tell (too little text)."""
        try:
            done = self._run([str(image), "-", "--dpi", str(dpi), "--psm", "0"], what="detecting orientation")
        except OcrFailed:
            return None  # "Too few characters": nothing to turn
        rotate = re.search(r"^Rotate:\s*(\d+)", done.stdout, re.MULTILINE)
        confidence = re.search(r"^Orientation confidence:\s*([\d.]+)", done.stdout, re.MULTILINE)
        if not rotate or not confidence:
            return None
        return Orientation(int(rotate.group(1)) % 360, float(confidence.group(1)))

    def _run(self, args: list[str], *, what: str) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                [self.executable, *args],
                env=self._env,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise ConfigurationError(
                f"The OCR engine ({self.executable}) is not installed on this worker: install tesseract."
            ) from None
        except subprocess.TimeoutExpired:
            raise OcrTimedOut(
                f"OCR took longer than {self.timeout_s:.0f} seconds on one page while {what}; "
                "it will be tried again. If it keeps happening, re-scan the document at 300 dpi."
            ) from None
        if done.returncode != 0 and "Failed loading language" in done.stderr:
            raise ConfigurationError(
                f"The OCR language(s) '{self.languages}' are not installed on this worker: install the "
                "tesseract language data (e.g. tesseract-ocr-deu) or change CASEVAULT_OCR_LANGUAGES."
            )
        if done.returncode != 0:
            how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit code {done.returncode}"
            log.warning("tesseract failed while %s (%s): %s", what, how, done.stderr.strip()[-500:])
            raise OcrFailed(
                f"The OCR engine stopped ({how}) while {what}. The original is kept; re-scan the page "
                "or queue the document for OCR again."
            )
        return done


def _read_tsv(tsv: Path) -> tuple[int, float, tuple[WordBox, ...]]:
    """Word count, mean confidence and each word's box, from tesseract's word-level tsv."""
    total = 0.0
    boxes = []
    for line in tsv.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[0] == "5" and cells[11].strip():
            total += max(float(cells[10]), 0.0)
            left, top, width, height = (int(cell) for cell in cells[6:10])
            boxes.append(WordBox(cells[11].strip(), left, top, width, height))
    words = len(boxes)
    return words, (total / words if words else 0.0), tuple(boxes)


def ocr_engine(options: OcrOptions) -> OcrEngine:
    """The OCR engine the options ask for; tesseract is the only one today."""
    return Tesseract(languages=options.languages, timeout_s=options.page_timeout_s, executable=options.tesseract)
