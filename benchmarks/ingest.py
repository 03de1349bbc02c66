"""Ingest benchmark: OCR pages/second and word recall, casevault against its peers.

    .venv/bin/python benchmarks/ingest.py [--documents 4] [--pages 6] [--keep DIR]

Generates scanned-looking pages (A4 at 300 dpi, turned 1-2 degrees, speckled,
JPEG inside PDF) with known text, then measures on the same files, one after
the other on this machine:

  (a) tesseract alone, one process per core, OMP_THREAD_LIMIT=1, on the page
      JPEGs: the limit;
  (b) OCRmyPDF with its defaults on the PDFs: what users would pick instead;
  (c) casevault's ``make_searchable`` on the PDFs, one document at a time,
      as the worker runs them;

and PDFs that already carry text through ``make_searchable``. Each contender is
one function ``(pdf, pages, outdir) -> Run`` in ``CONTENDERS``; add one to
compare another (the end-to-end API + worker run belongs there too). Wall and
CPU time are both recorded, because the machine is shared (see ``measure``).
Word recall is measured twice: of each contender's own recognised text (tesseract's
txt, OCRmyPDF's sidecar, the page text casevault indexes) and of its searchable PDF
read back by poppler's ``pdftotext``, as a viewer's find and copy would see it.
Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casevault.ingest.options import OcrOptions
from casevault.ingest.searchable import make_searchable

CORES = os.cpu_count() or 1
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]
VOCABULARY = [
    "about",
    "after",
    "again",
    "against",
    "all",
    "also",
    "always",
    "among",
    "annual",
    "another",
    "any",
    "appointment",
    "around",
    "assessment",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "build",
    "called",
    "came",
    "care",
    "case",
    "child",
    "children",
    "class",
    "could",
    "council",
    "courses",
    "daily",
    "family",
    "father",
    "first",
    "following",
    "found",
    "friends",
    "from",
    "further",
    "future",
    "give",
    "going",
    "good",
    "group",
    "had",
    "has",
    "have",
    "health",
    "help",
    "her",
    "here",
    "his",
    "home",
    "hours",
    "however",
    "important",
    "include",
    "including",
    "information",
    "into",
    "just",
    "keep",
    "kind",
    "know",
    "language",
    "last",
    "learning",
    "letter",
    "like",
    "little",
    "local",
    "long",
    "made",
    "make",
    "many",
    "meeting",
    "more",
    "morning",
    "most",
    "mother",
    "much",
    "must",
    "need",
    "needs",
    "next",
    "night",
    "number",
    "occupational",
    "office",
    "only",
    "other",
    "our",
    "over",
    "parents",
    "part",
    "people",
    "physical",
    "plan",
    "place",
    "play",
    "please",
    "point",
    "progress",
    "provide",
    "provision",
    "read",
    "reading",
    "really",
    "receive",
    "recent",
    "record",
    "report",
    "review",
    "right",
    "said",
    "same",
    "say",
    "school",
    "second",
    "see",
    "should",
    "since",
    "skills",
    "small",
    "social",
    "some",
    "speech",
    "staff",
    "start",
    "still",
    "study",
    "such",
    "support",
    "take",
    "teacher",
    "teaching",
    "tell",
    "than",
    "thank",
    "that",
    "their",
    "them",
    "then",
    "there",
    "therapy",
    "these",
    "they",
    "thing",
    "think",
    "this",
    "those",
    "three",
    "through",
    "time",
    "today",
    "together",
    "towards",
    "two",
    "under",
    "understand",
    "until",
    "upon",
    "very",
    "want",
    "week",
    "weekly",
    "well",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "within",
    "work",
    "working",
    "would",
    "write",
    "writing",
    "year",
    "years",
    "young",
]


# --- corpus --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    jpeg: Path
    words: list[str]


@dataclass(frozen=True)
class Corpus:
    scanned: list[tuple[Path, list[Page]]]  # (pdf, its pages)
    text_pdfs: list[tuple[Path, int]]  # (pdf, page count)
    workdir: Path

    @property
    def pages(self) -> list[Page]:
        return [page for _, pages in self.scanned for page in pages]


def paragraph(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 16))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def scanned_page(rng: random.Random, path: Path) -> Page:
    width, height = 2480, 3508  # A4 at 300 dpi
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(rng.choice(FONTS), 44)  # about 10.5 pt
    words: list[str] = []
    y = 260
    while y < height - 500:
        line: list[str] = []
        for word in paragraph(rng, rng.randint(3, 5)).split():
            if draw.textlength(" ".join(line + [word]), font=font) > width - 440:
                draw.text((220, y), " ".join(line), font=font, fill=rng.randint(0, 50))
                words += line
                line, y = [], y + 62
                if y >= height - 500:
                    break
            line.append(word)
        else:
            draw.text((220, y), " ".join(line), font=font, fill=rng.randint(0, 50))
            words += line
        y += 120
    page = page.rotate(rng.choice([-1, 1]) * rng.uniform(1, 2), Image.BICUBIC, fillcolor=255)
    pixels = page.load()
    for _ in range(30_000):  # speckles
        x, yy = rng.randrange(width - 2), rng.randrange(height - 2)
        shade = rng.randint(0, 140)
        for dx, dy in ((0, 0), (1, 0), (0, 1)) if rng.random() < 0.3 else ((0, 0),):
            pixels[x + dx, yy + dy] = shade
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    page.save(path, "JPEG", quality=75, dpi=(300, 300))
    return Page(path, [w.strip(".").lower() for w in words])


def jpeg_pdf(jpegs: list[Path], out: Path) -> None:
    """JPEG inside PDF, as a scanner writes it: the JPEG bytes embedded unchanged."""
    pdf = pikepdf.new()
    for jpeg in jpegs:
        with Image.open(jpeg) as im:
            width, height = im.size
        image = pikepdf.Stream(pdf, jpeg.read_bytes())
        image.update(
            pikepdf.Dictionary(
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Width=width,
                Height=height,
                ColorSpace=pikepdf.Name.DeviceGray,
                BitsPerComponent=8,
                Filter=pikepdf.Name.DCTDecode,
            )
        )
        w_pt, h_pt = width * 72 / 300, height * 72 / 300
        page = pdf.add_blank_page(page_size=(w_pt, h_pt))
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.obj.Contents = pdf.make_stream(f"q {w_pt} 0 0 {h_pt} 0 0 cm /Im0 Do Q".encode())
    pdf.save(out)


def text_pdf(rng: random.Random, pages: int, out: Path) -> None:
    """A word processor's PDF: every page carries real text."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for _ in range(pages):
        text = paragraph(rng, 30)
        lines = re.findall(r".{1,90}(?:\s|$)", text)
        ops = ["BT /F1 10 Tf 50 780 Td 13 TL"] + [f"({line.strip()}) Tj T*" for line in lines] + ["ET"]
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream("\n".join(ops).encode("latin-1"))
    pdf.save(out)


def make_corpus(root: Path, documents: int, pages_each: int, text_documents: int, text_pages: int) -> Corpus:
    rng = random.Random(20261124)
    scanned = []
    for d in range(documents):
        pages = [scanned_page(rng, root / f"doc{d}-page{p + 1}.jpg") for p in range(pages_each)]
        pdf = root / f"doc{d}.pdf"
        jpeg_pdf([p.jpeg for p in pages], pdf)
        scanned.append((pdf, pages))
    texts = []
    for d in range(text_documents):
        pdf = root / f"text{d}.pdf"
        text_pdf(rng, text_pages, pdf)
        texts.append((pdf, text_pages))
    return Corpus(scanned, texts, root)


# --- measuring -----------------------------------------------------------------------
#
# The machine is shared, so wall time alone says more about the neighbours than about
# the contenders. Each round runs every contender on one document before moving to the
# next document (so they see the same load), and CPU time (this process and every child
# it has waited for: tesseract, ocrmypdf and its tesseracts) is recorded beside wall
# time. "pages/s per CPU" * cores is what the contender would do on an idle machine.


@dataclass
class Measurement:
    pages: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    recall: float | None = None  # 0..1, of the contender's own recognised text; None when not measured
    pdf_recall: float | None = None  # 0..1, of its searchable PDF read back by pdftotext
    note: str = ""
    walls: list[float] = dataclasses.field(default_factory=list)  # per document, in the order run

    @property
    def rate(self) -> float:
        return self.pages / self.seconds

    @property
    def idle_rate(self) -> float:
        """Pages per second on an idle machine of CORES cores, estimated from CPU time."""
        return self.pages / self.cpu_seconds * CORES


@dataclass(frozen=True)
class Run:
    """One contender on one document: wall and CPU seconds, the text it recognised, its searchable PDF(s)."""

    seconds: float
    cpu_seconds: float
    texts: list[str]
    pdfs: list[Path]


def cpu_seconds() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


class Clock:
    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def recall(expected: list[str], found: list[str]) -> float:
    want, got = collections.Counter(expected), collections.Counter(found)
    return sum(min(n, got[w]) for w, n in want.items()) / sum(want.values())


def pdftotext(path: Path) -> str:
    """What a viewer's find and copy see: poppler groups the glyphs into words and lines itself."""
    return subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True, check=True).stdout


def raw_tesseract(pdf: Path, pages: list[Page], out: Path) -> Run:
    """(a) tesseract on each page JPEG, one process per core: its text and its own searchable PDF."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(page: Page) -> Path:
        stem = out / page.jpeg.stem
        subprocess.run(["tesseract", str(page.jpeg), str(stem), "txt", "pdf"], env=env, check=True, capture_output=True)
        return stem

    with Clock() as clock, ThreadPoolExecutor(CORES) as pool:
        stems = list(pool.map(one, pages))
    texts = [stem.with_suffix(".txt").read_text() for stem in stems]
    return Run(clock.wall, clock.cpu, texts, [stem.with_suffix(".pdf") for stem in stems])


def ocrmypdf_defaults(pdf: Path, pages: list[Page], out: Path) -> Run:
    """(b) the ocrmypdf command with its defaults (and its recognised text as a sidecar)."""
    ocrmypdf = Path(sys.executable).with_name("ocrmypdf")
    sidecar = out / "sidecar.txt"
    with Clock() as clock:
        subprocess.run(
            [str(ocrmypdf), "--quiet", "--sidecar", str(sidecar), str(pdf), str(out / pdf.name)],
            check=True,
            capture_output=True,
        )
    return Run(clock.wall, clock.cpu, [sidecar.read_text()], [out / pdf.name])


def casevault_make_searchable(pdf: Path, pages: list[Page], out: Path) -> Run:
    """(c) casevault's ingest core, as the OCR task runs it."""
    with Clock() as clock:
        result = make_searchable(pdf, workdir=out, options=OcrOptions(processes=CORES))
    return Run(clock.wall, clock.cpu, [page.text for page in result.pages], [result.searchable_pdf])


class Deployment:
    """casevault on this machine as `make run` starts it: the API (served here through
    its ASGI app) and a real `casevault worker` process on the embedded SQLite broker."""

    _current: Deployment | None = None

    def __init__(self, root: Path) -> None:
        from fastapi.testclient import TestClient

        from casevault.api.app import create_app
        from casevault.app.bootstrap import initialise
        from casevault.app.services import Services as Container
        from casevault.core.db import transaction
        from casevault.core.models import Role
        from casevault.core.settings import load_settings
        from casevault.core.users import create_user

        self.settings = load_settings(data_dir=root / "var")
        self.container = Container(self.settings)
        initialise(self.container)
        with transaction(self.container.new_session) as session:
            token = create_user(session, username="bench", role=Role.officer, clock=self.container.clock)[1]
        self.headers = {"Authorization": f"Bearer {token}"}
        env = {**os.environ, "CASEVAULT_DATA_DIR": str(self.settings.data_dir)}
        self.log = root / "worker.log"
        with self.log.open("wb") as sink:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "casevault", "worker", "--concurrency=1"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        while b" ready." not in self.log.read_bytes():
            if self.worker.poll() is not None:
                raise RuntimeError(self.log.read_text()[-2000:])
            time.sleep(0.2)
        self.client = TestClient(create_app(self.container))

    def new_case(self) -> int:
        """A case of its own for each upload: a PDF uploaded again to the same case is
        recognised as the same document and answered at once, which would flatter later rounds."""
        person = self.client.post(
            "/api/v1/people",
            json={
                "full_name": "Bench Person",
                "date_of_birth": "2012-01-01",
                "consent": {"given_by": "young_person", "how": "verbal"},
            },
            headers=self.headers,
        ).json()
        case = self.client.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "referral_date": "2026-01-05", "referral_source": "parent_carer"},
            headers=self.headers,
        )
        case.raise_for_status()
        return int(case.json()["id"])

    @classmethod
    def current(cls, root: Path) -> Deployment:
        if cls._current is None:
            cls._current = cls(root)
        return cls._current

    def indexed_text(self, document: int) -> list[str]:
        """The page text casevault indexed for search."""
        from sqlmodel import select

        from casevault.core.models import PageText

        with self.container.new_session() as session:
            rows = session.exec(select(PageText).where(PageText.document_id == document).order_by(PageText.page))
            return [row.text for row in rows]

    def worker_cpu_seconds(self) -> float:
        """The worker and its pool processes, with the tesseracts they waited for."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        pids = [
            self.worker.pid,
            *map(int, Path(f"/proc/{self.worker.pid}/task/{self.worker.pid}/children").read_text().split()),
        ]
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
        return total

    def close(self) -> None:
        self.worker.terminate()
        self.worker.wait(timeout=60)
        self.container.close()


def casevault_end_to_end(pdf: Path, pages: list[Page], out: Path) -> Run:
    """(c) as the issue defines it: upload through the API, OCR by the worker, until ready."""
    service = Deployment.current(out.parent)
    case = service.new_case()
    before = service.worker_cpu_seconds()
    with Clock() as clock:
        with pdf.open("rb") as body:
            response = service.client.post(
                f"/api/v1/cases/{case}/documents",
                files={"file": (pdf.name, body)},
                data={"correspondence_date": "2026-02-01", "provided_by": "school"},
                headers=service.headers,
            )
        document = response.json()["id"]
        while (
            status := service.client.get(f"/api/v1/documents/{document}", headers=service.headers).json()["status"]
        ) not in ("ready", "failed"):
            time.sleep(0.1)
    if status != "ready":
        raise RuntimeError(f"document {document} failed: see {service.log}")
    searchable = out / "searchable.pdf"
    searchable.write_bytes(
        service.client.get(f"/api/v1/documents/{document}/file?variant=searchable", headers=service.headers).content
    )
    cpu = clock.cpu + service.worker_cpu_seconds() - before
    return Run(clock.wall, cpu, service.indexed_text(document), [searchable])


CONTENDERS: dict[str, tuple[Callable[[Path, list[Page], Path], Run], str]] = {
    "(a) tesseract alone, 1 process/core": (raw_tesseract, "page JPEGs, txt only"),
    "(b) OCRmyPDF": (
        ocrmypdf_defaults,
        "defaults"
        if shutil.which("gs")
        else "defaults; no Ghostscript here, so PDF/A is best effort (pikepdf) and pages rasterise with pdfium",
    ),
    "(c) casevault end to end": (
        casevault_end_to_end,
        "upload through the API to ready, a real worker on the SQLite broker",
    ),
    "(c') casevault make_searchable": (casevault_make_searchable, "the OCR core in process, one document at a time"),
}


def measure(corpus: Corpus, rounds: int, only: list[str] | None) -> dict[str, Measurement]:
    chosen = {name: c for name, c in CONTENDERS.items() if not only or any(o in name for o in only)}
    results = {name: Measurement(note=note) for name, (_, note) in chosen.items()}
    texts: dict[str, list[str]] = {name: [] for name in chosen}
    read_back: dict[str, list[str]] = {name: [] for name in chosen}
    for round_ in range(rounds):
        for pdf, pages in corpus.scanned:
            for name, (contender, _) in chosen.items():
                run = contender(pdf, pages, Path(tempfile.mkdtemp(dir=corpus.workdir)))
                m = results[name]
                m.pages, m.seconds, m.cpu_seconds = (
                    m.pages + len(pages),
                    m.seconds + run.seconds,
                    m.cpu_seconds + run.cpu_seconds,
                )
                m.walls.append(run.seconds)
                if round_ == 0:
                    texts[name] += run.texts
                    read_back[name] += [pdftotext(path) for path in run.pdfs]
        print(
            f"round {round_ + 1}: " + ", ".join(f"{n[:3]} {m.seconds:.0f} s" for n, m in results.items()),
            file=sys.stderr,
        )
    expected = [w for page in corpus.pages for w in page.words]
    for name, m in results.items():
        m.recall = recall(expected, [t for text in texts[name] for t in tokens(text)])
        m.pdf_recall = recall(expected, [t for text in read_back[name] for t in tokens(text)])
    return results


def casevault_text_pdfs(corpus: Corpus) -> Measurement:
    """PDFs that already carry text: read, judged usable, copied; no OCR."""
    m = Measurement(note="make_searchable on text PDFs")
    for pdf, count in corpus.text_pdfs:
        with Clock() as clock:
            result = make_searchable(
                pdf, workdir=Path(tempfile.mkdtemp(dir=corpus.workdir)), options=OcrOptions(processes=CORES)
            )
        assert result.ocr_pages == 0
        m.pages, m.seconds, m.cpu_seconds = m.pages + count, m.seconds + clock.wall, m.cpu_seconds + clock.cpu
    return m


def table(results: dict[str, Measurement], text: Measurement) -> str:
    rows = [
        "| contender | pages | wall s | pages/s (wall) | CPU s | pages/s idle-equivalent | word recall, own text "
        "| word recall, pdftotext of its PDF | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]

    def percent(value: float | None) -> str:
        return f"{value * 100:.1f} %" if value is not None else "n/a"

    for name, m in {**results, "text-layer PDFs (casevault)": text}.items():
        rows.append(
            f"| {name} | {m.pages} | {m.seconds:.1f} | {m.rate:.2f} | {m.cpu_seconds:.1f} | "
            f"{m.idle_rate:.2f} | {percent(m.recall)} | {percent(m.pdf_recall)} | {m.note} |"
        )
    a, b, c = (results.get(k) for k in list(CONTENDERS)[:3])
    goals = [
        "",
        "| goal | target | wall | idle-equivalent | met (idle-equivalent) |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    if a and c:
        wall, idle = c.rate / a.rate, c.idle_rate / a.idle_rate
        goals.append(
            f"| (c) speed vs (a) | >= 0.85 x | {wall:.2f} x | {idle:.2f} x | {'yes' if idle >= 0.85 else 'no'} |"
        )
        # each document's (c) beside the (a) run just before it saw about the same load
        ratio = statistics.median(cw / aw for cw, aw in zip(c.walls, a.walls, strict=True))
        goals.append(
            f"| (c) wall time per document / (a)'s, median | <= 1.25 x | {ratio:.2f} x | | "
            f"{'yes' if ratio <= 1.25 else 'no'} (wall) |"
        )
        drop = (a.recall - c.recall) * 100
        goals.append(
            f"| (c) recall vs (a) | at most 0.5 points below | {-drop:+.1f} points | | {'yes' if drop <= 0.5 else 'no'} |"
        )
        lost = (c.recall - c.pdf_recall) * 100
        goals.append(
            f"| (c) pdftotext recall vs its own text | within 1 point | {-lost:+.1f} points | | "
            f"{'yes' if abs(lost) <= 1 else 'no'} |"
        )
    if b and c:
        wall, idle = c.rate / b.rate, c.idle_rate / b.idle_rate
        goals.append(
            f"| (c) speed vs (b) | >= 2.5 x | {wall:.2f} x | {idle:.2f} x | {'yes' if idle >= 2.5 else 'no'} |"
        )
    goals.append(
        f"| text-layer PDFs | >= 50 pages/s | {text.rate:.0f} | {text.idle_rate:.0f} | {'yes' if text.idle_rate >= 50 else 'no'} |"
    )
    return "\n".join(rows + goals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=4, help="scanned PDFs (default 4)")
    parser.add_argument("--pages", type=int, default=6, help="pages per scanned PDF (default 6)")
    parser.add_argument("--text-documents", type=int, default=4)
    parser.add_argument("--text-pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1, help="times through the corpus (figures are summed)")
    parser.add_argument("--only", action="append", help="run only contenders whose name contains this")
    parser.add_argument("--keep", type=Path, help="keep the corpus and outputs here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="casevault-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        corpus = make_corpus(root, args.documents, args.pages, args.text_documents, args.text_pages)
        print(
            f"corpus: {len(corpus.pages)} scanned pages, {sum(n for _, n in corpus.text_pdfs)} text pages "
            f"({time.perf_counter() - started:.0f} s to generate)",
            file=sys.stderr,
        )
        results = measure(corpus, args.rounds, args.only)
        text = casevault_text_pdfs(corpus)
        tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(
            f"{datetime.date.today()}, {CORES} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, {tesseract}, gs: {shutil.which('gs') or 'not installed'}, "
            f"contenders interleaved document by document, {args.rounds} round(s); "
            f"load average before: {os.getloadavg()[0]:.1f}\n"
        )
        print(table(results, text))
    finally:
        if Deployment._current is not None:
            Deployment._current.close()  # stop the worker it started
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
