"""Subject access bundle benchmark (issue 15): build a bundle of about 300 pages, as the
worker's task builds it, on the embedded default (SQLite, filesystem store).

    .venv/bin/python benchmarks/sar.py                         # 30 scans x 10 pages + 20 notes
    .venv/bin/python benchmarks/sar.py --documents 5 --pages 4 # smaller

Each document is a scan: A4 pages at 300 dpi, a few lines of text and specks, JPEG inside
PDF (as Pillow writes it), stored encrypted through the vault as its original and its
searchable variant. Each note is a paragraph. Every item is marked disclosed but two
withheld. The timed part is ``services.sar_bundles.build`` (what the task runs): decrypt
every document into scratch, the cover letter and index, assembly, a stamp on every page,
the notes CSV, encrypt and store both. Redaction is timed only when the redaction module
(``casevault.ingest.redact``) is installed: ``--redactions`` regions on as many pages.
Everything lives in a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw, ImageFont
from sqlmodel import select

from casevault.app.parts import audit_mac_key, init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.migrate import upgrade
from casevault.core.models import (
    PDF_VARIANTS,
    Case,
    CaseNote,
    Document,
    DocumentStatus,
    ItemDecision,
    NoteKind,
    Person,
    ProvidedBy,
    RedactionCategory,
    ReferralSource,
    RequesterKind,
    Role,
    SarBundle,
    SarItem,
    SarRedaction,
    SubjectAccessRequest,
    Tier,
    User,
)
from casevault.core.settings import load_settings
from casevault.core.users import create_user
from casevault.ingest.accept import stored_row
from casevault.retention.tagging import lifecycle_tags

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
A4_300DPI = (2480, 3508)


def scan(pages: int, seed: int) -> bytes:
    """A scanned letter: JPEG pages inside a PDF, as a scanner's software writes it."""
    rng = random.Random(seed)
    font = ImageFont.truetype(str(FONT), 42) if FONT.exists() else ImageFont.load_default()
    images = []
    for page in range(pages):
        image = Image.new("L", A4_300DPI, 250)
        draw = ImageDraw.Draw(image)
        for line in range(40):
            words = " ".join(rng.choice(("review", "school", "support", "plan", "needs", "annual")) for _ in range(9))
            draw.text((200, 300 + line * 75), f"{page + 1}.{line} {words}", fill=20, font=font)
        for _ in range(3000):
            x, y = rng.randrange(A4_300DPI[0]), rng.randrange(A4_300DPI[1])
            draw.point((x, y), fill=rng.randrange(0, 200))
        images.append(image.convert("RGB"))
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=300, save_all=True, append_images=images[1:], quality=75)
    return out.getvalue()


def seed(services: Services, scratch: Path, *, documents: int, pages: int, notes: int, redactions: int) -> int:
    """A person with one case holding the documents and notes, and a request marking each."""
    with transaction(services.new_session) as session:
        manager, _ = create_user(session, username="maya", role=Role.manager, clock=services.clock)
        person = Person(full_name="Robin Example", date_of_birth=dt.date(2012, 3, 4))
        session.add(person)
        session.flush()
        case = Case(
            reference="SEN-2026-00001",
            person_id=person.id,
            referral_date=dt.date(2025, 9, 1),
            referral_source=ReferralSource.parent_carer,
        )
        session.add(case)
        session.flush()
        request = SubjectAccessRequest(
            reference="SAR-00000001",
            person_id=person.id,
            requester_kind=RequesterKind.parent_carer,
            requester_name="Pat Example",
            received_on=dt.date(2026, 11, 2),
            due_on=dt.date(2026, 12, 2),
            opened_by=manager.id,
        )
        session.add(request)
        session.flush()
        ids = (person.pseudonym, case.id, request.id, manager.id)
    subject, case_id, request_id, manager_id = ids
    tags = lifecycle_tags(tier=Tier.active, schedule=services.schedule)
    redact = importlib.util.find_spec("casevault.ingest.redact") is not None and redactions > 0
    marked = 0
    for index in range(documents):
        source = scratch / f"scan-{index}.pdf"
        source.write_bytes(scan(pages, index))
        stored = [services.vault.put(subject=subject, source=source, tier=Tier.active, tags=tags) for _ in range(2)]
        source.unlink()
        with transaction(services.new_session) as session:
            document = Document(
                case_id=case_id,
                original_filename=f"letter-{index:02d}.pdf",
                content_type="application/pdf",
                size=stored[0].size,
                sha256=stored[0].sha256,
                correspondence_date=dt.date(2026, 1, 1) + dt.timedelta(days=index),
                provided_by=ProvidedBy.school,
                status=DocumentStatus.ready,
                page_count=pages,
            )
            session.add(document)
            session.flush()
            for variant, put in zip(PDF_VARIANTS, stored, strict=True):
                session.add(stored_row(document, variant, put, Tier.active))
            decision = ItemDecision.withheld if index in (3, 7) else ItemDecision.disclosed
            if redact and marked < redactions and decision is ItemDecision.disclosed:
                decision, marked = ItemDecision.partly_disclosed, marked + 1
                session.add(
                    SarRedaction(
                        request_id=request_id,
                        document_id=document.id,
                        page=1,
                        left=0.08,
                        top=0.08,
                        width=0.5,
                        height=0.03,
                        category=RedactionCategory.third_party,
                        legal_basis="a third party's name",
                        redacted_by=manager_id,
                    )
                )
            session.add(SarItem(request_id=request_id, document_id=document.id, decision=decision, reason="as marked"))
    with transaction(services.new_session) as session:
        for index in range(notes):
            note = CaseNote(
                case_id=case_id,
                kind=NoteKind.progress_summary,
                text="Spoke with the family about the annual review and the school's support plan. " * 6,
                date=dt.date(2026, 2, 1) + dt.timedelta(days=index),
            )
            session.add(note)
            session.flush()
            session.add(SarItem(request_id=request_id, note_id=note.id, decision=ItemDecision.disclosed, reason="ok"))
    return request_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--redactions", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="casevault-sar-bench-"))
    try:
        settings = load_settings(data_dir=root / "var", database_url=f"sqlite:///{root / 'casevault.db'}")
        upgrade(settings.database_url)
        init_storage(settings)
        audit_mac_key(settings).init()
        services = Services(settings)
        request_id = seed(
            services,
            root,
            documents=args.documents,
            pages=args.pages,
            notes=args.notes,
            redactions=args.redactions,
        )
        with transaction(services.new_session) as session:
            user = session.exec(select(User)).one()
            bundle = services.sar_bundles.request_build(session, request_id=request_id, user=user)
            session.flush()
            bundle_id = bundle.id
        load = os.getloadavg()[0]
        wall, cpu, rss, status = _build_in_own_process(root, bundle_id)
        with services.new_session() as session:
            built = session.get(SarBundle, bundle_id)
            redacted = session.exec(select(SarItem).where(SarItem.decision == ItemDecision.partly_disclosed)).all()
            pages, size, problem = built.pages, built.bytes, built.problem
        if status != "built":
            raise SystemExit(f"the bundle failed: {problem}")
        stamped = _last_page_stamp(services, bundle_id, root)
        services.close()
        print(
            f"{dt.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, CPython"
            f" {platform.python_version()}, load average before: {load:.1f}"
        )
        print()
        print(
            "| bundle | pages | redacted documents | wall s | CPU s | MB | peak RSS of the building process, MiB | last page stamp |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        what = f"{args.documents} scans x {args.pages} pages, {args.notes} notes"
        print(
            f"| {what} | {pages} | {len(redacted)} | {wall:.1f} | {cpu:.1f} | {size / 1e6:.0f} | {rss:.0f} | {stamped} |"
        )
        print()
        goal = "met" if wall < 60 else "NOT met"
        print(f"- Goal: a bundle of 300 pages with 20 redactions in under 60 s on 2 cores: **{goal}** ({wall:.1f} s)")
        if not redacted:
            print("- Redaction not included: casevault.ingest.redact is not installed in this build")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _build_in_own_process(root: Path, bundle_id: int) -> tuple[float, float, float, str]:
    """Run the build as a worker would, in a fresh process: its wall and CPU time and its
    peak resident memory (Linux's VmHWM, reset as the process starts), the build only."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--build", str(root), str(bundle_id)], stdout=subprocess.PIPE, text=True
    )
    out = child.stdout.read() if child.stdout else ""
    if child.wait() != 0:
        raise SystemExit("the build process failed")
    wall, cpu, peak_kib, result = out.split()
    return float(wall), float(cpu), int(peak_kib) / 1024, result


def _build(root: Path, bundle_id: int) -> None:
    settings = load_settings(data_dir=root / "var", database_url=f"sqlite:///{root / 'casevault.db'}")
    services = Services(settings)
    Path("/proc/self/clear_refs").write_text("5")  # the peak below is this process's, after the fork it came from
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    status = services.sar_bundles.build(bundle_id=bundle_id)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # tesseract, reading the redacted pages
    services.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu += children.ru_utime + children.ru_stime
    peak = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    print(f"{wall:.3f} {cpu:.3f} {peak.split()[1]} {status.value}")


def _last_page_stamp(services: Services, bundle_id: int, root: Path) -> str:
    with services.new_session() as session:
        bundle = session.get(SarBundle, bundle_id)
        request = session.get(SubjectAccessRequest, bundle.request_id)
        subject = session.get(Person, request.person_id).pseudonym
    path = root / "bundle.pdf"
    services.vault.read_to(subject=subject, object_key=bundle.pdf_key, tier=Tier.active, dest=path)
    last = str(bundle.pages)
    text = subprocess.run(
        ["pdftotext", "-f", last, "-l", last, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split()[-5:])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--build":
        _build(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
