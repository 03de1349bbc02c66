"""A subject access request answered end to end, through the API, with a real `casevault
worker` reading the uploads and building the bundle.

A mother asks for the records of her daughter, 14. The daughter wrote one letter herself and
has not agreed to share it with her parents (no ``share_with_parent``); the school's report
names another pupil. A manager redacts that pupil's name by term, marks the items and builds
the bundle: it has an index with the letter withheld and why, every page is stamped with the
request's reference and "page n of N", and neither the letter nor the other pupil's name is
in its text or in any of its images as tesseract reads them. Nothing of it is readable in the
store. The request's hold keeps her when her 25th birthday passes while it is still open
(the injected clock runs the sweep, as in test_lifecycle.py); once it is completed and the
hold's period has passed, her destruction takes the request, its redaction log and the
bundle's objects in every version, and the certificate counts them and names no one.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pikepdf
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.models import Person, Role, SarBundle, SarItem, SarRedaction, SubjectAccessRequest, Tier
from casevault.core.settings import Settings
from casevault.retention.steps import StepOutcomeKind
from tests.e2e.life import raw_store
from tests.e2e.servers import running_worker, wait_for
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import upload
from tests.people import CONSENT
from tests.tokens import token

API = "/api/v1"
WAIT = 120  # seconds for one piece of the worker's work
BORN = dt.date(2012, 3, 4)  # 14 when her mother asks; 25 on 4 March 2037
HER_NAME = "Erin Example"
MOTHER = "Pat Example"
OTHER_PUPIL = "Dylan Hughes"  # the third party the school's report names
LETTER = ("My worries about lunchtimes", "Nobody sits with me")
REPORT = ("Geography homework improving", f"{OTHER_PUPIL} teased her")
LETTER_WORDS = ("worries", "lunchtimes")
REPORT_WORDS = ("Geography", "homework", "improving")  # the line above the name, kept


def pdftotext(path: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def ocr_of_every_image(pdf: Path, folder: Path) -> list[str]:
    """Every image in the file, wherever it is used, read by tesseract on its own."""
    texts = []
    with pikepdf.open(pdf) as doc:
        for number, obj in enumerate(doc.objects):
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                path = folder / f"image{number}.png"
                pikepdf.PdfImage(obj).as_pil_image().save(path)
                done = subprocess.run(["tesseract", str(path), "-"], capture_output=True, text=True, check=True)
                texts.append(done.stdout)
    return texts


def files_under(folder: Path) -> list[bytes]:
    """Every file of the data directory (store, broker, scratch) as someone with the disk reads it."""
    return [path.read_bytes().lower() for path in folder.rglob("*") if path.is_file()]


def count(container: Services, table: type) -> int:
    with container.new_session() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_a_parent_asks_for_a_young_persons_records(settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    init_storage(settings)
    container = Services(settings, clock=clock)  # the API on the test's clock; the worker in real time
    clock.set(dt.date(2026, 11, 2))
    officer, manager = token(container, "olive", Role.officer), token(container, "maya", Role.manager)

    with running_worker(settings, tmp_path / "worker.log"), TestClient(create_app(container)) as client:

        def get(path: str, **params: object) -> dict:
            answer = client.get(f"{API}{path}", headers=manager, params=params)
            assert answer.status_code == 200, (path, answer.text)
            return answer.json()

        def post(path: str, body: dict | None, headers: dict, status: int = 200) -> dict:
            answer = client.post(f"{API}{path}", json=body, headers=headers)
            assert answer.status_code == status, (path, answer.text)
            return answer.json()

        def download(path: str, to: Path) -> Path:
            answer = client.get(f"{API}{path}", headers=manager)
            assert answer.status_code == 200, (path, answer.text)
            to.write_bytes(answer.content)
            return to

        # --- Erin, 14, her letter (she has not agreed to share it) and the school's report ------
        person = post(
            "/people", {"full_name": HER_NAME, "date_of_birth": BORN.isoformat(), "consent": CONSENT}, officer, 201
        )
        assert "share_with_parent" not in CONSENT["scopes"]
        case = post(
            "/cases",
            {"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"},
            officer,
            201,
        )
        uploads = {
            "young_person": save(text_strip(LETTER), tmp_path / "scan-1.png"),
            "school": save(text_strip(REPORT), tmp_path / "scan-2.png"),
        }
        letter, report = (
            upload(client, officer, case["id"], path, date="2026-10-05", provided_by=provider).json()["id"]
            for provider, path in uploads.items()
        )
        wait_for(
            lambda: {get(f"/documents/{d}")["status"] for d in (letter, report)} == {"ready"},
            WAIT,
            "the worker reading both scans",
        )
        # What the bundle must leave out is there to begin with, in each document's own searchable PDF.
        letter_text = flat(pdftotext(download(f"/documents/{letter}/file?variant=searchable", tmp_path / "l.pdf")))
        report_text = flat(pdftotext(download(f"/documents/{report}/file?variant=searchable", tmp_path / "r.pdf")))
        assert all(word in letter_text for word in LETTER_WORDS), letter_text
        assert OTHER_PUPIL in report_text and all(word in report_text for word in REPORT_WORDS), report_text

        # --- her mother asks; a manager redacts the other pupil, marks, builds -----------------
        request = post(
            "/subject-access",
            {
                "person_id": person["id"],
                "requester_kind": "parent_carer",
                "requester_name": MOTHER,
                "received_on": "2026-11-02",
            },
            manager,
            201,
        )
        assert request["due_on"] == "2026-12-02" and request["hold_id"] is not None
        url = f"/subject-access/{request['id']}"
        redaction = {
            "document_id": report,
            "term": OTHER_PUPIL,
            "category": "third_party",
            "legal_basis": "UK GDPR Art. 15(4): another pupil's name",
        }
        post(f"{url}/redactions", redaction, manager, 201)
        items = {item["document_id"]: item for item in post(f"{url}/items", None, manager)["items"]}
        assert items[letter]["decision"] == "withheld" and "share_with_parent" in items[letter]["reason"]
        assert items[report]["decision"] == "partly_disclosed"
        post(f"{url}/bundle", None, manager, 202)
        wait_for(lambda: get(f"{url}/bundle")["status"] != "building", WAIT, "the worker building the bundle")
        bundle = get(f"{url}/bundle")
        assert (bundle["status"], bundle["problem"]) == ("built", None), bundle
        pdf = download(f"{url}/bundle.pdf", tmp_path / "bundle.pdf")

    pages = pdftotext(pdf, "-layout").split("\f")[:-1]  # pdftotext ends each page with a form feed
    whole = flat(" ".join(pages))

    # --- the index, the stamps ------------------------------------------------------------------
    [withheld] = [row for row in bundle["index"] if row["decision"] == "withheld"]
    assert withheld["pages"] == "none" and withheld["provided_by"] == "young_person"
    [released] = [row for row in bundle["index"] if row["decision"] == "partly_disclosed"]
    # Read in pdftotext's reading order, each cell of the index is whole: the letter's row says why.
    index_pages = flat(" ".join(pdftotext(pdf).split("\f")[: released["first_page"] - 1]))
    assert "Index of the bundle" in index_pages and "scan-1.png" in index_pages
    assert f"withheld: {withheld['reason']}" in index_pages and "has not consented" in withheld["reason"]
    assert len(pages) == bundle["pages"]
    for number, text in enumerate(pages, start=1):
        stamps = re.findall(r"(SAR-\d+) +page (\d+) of (\d+)", text)
        assert stamps == [(request["reference"], str(number), str(len(pages)))], (number, text)

    # --- what was left out: the letter, the other pupil, in the text and in every image ----------
    assert all(word in whole for word in REPORT_WORDS), whole  # the redacted page kept its other words
    assert not [word for word in LETTER_WORDS if word in whole]
    assert OTHER_PUPIL.split()[1] not in whole and OTHER_PUPIL.split()[0] not in whole
    images = ocr_of_every_image(pdf, tmp_path)
    assert any("Geography" in text for text in images)  # tesseract reads the redacted page's image
    for text in images:
        assert "Hughes" not in text and "Dylan" not in text and "lunchtimes" not in text

    # --- encrypted at rest: no word of the letter or the report anywhere on disk ----------------
    on_disk = files_under(settings.data_dir)  # the store (every version), the broker's file, scratch
    assert (
        len(on_disk) > len(files_under(settings.data_dir / "objects")) >= 6
    )  # 2 variants of 2 documents, the bundle's 2
    for word in (*LETTER_WORDS, *REPORT_WORDS, "teased", *OTHER_PUPIL.split()):
        assert not [blob for blob in on_disk if word.lower().encode() in blob], word
    with container.new_session() as session:
        stored = session.exec(select(SarBundle)).one()
        bundle_keys = {stored.pdf_key, stored.csv_key}
    active = {entry.split("@")[0] for entry in raw_store(container, Tier.active)}
    assert None not in bundle_keys and bundle_keys <= active

    # --- her 25th birthday passes while the request is open: the hold keeps her ----------------
    clock.set(BORN.replace(year=2037))
    held = container.retention.sweep(dry_run=False)
    assert [(item.action.kind.value, item.action.held, item.action.person_id) for item in held.due] == [
        ("destroy_person", True, person["id"])
    ]
    assert held.count(StepOutcomeKind.done) == 0
    with TestClient(create_app(container)) as client:
        assert client.get(f"{API}/people/{person['id']}", headers=manager).status_code == 200

        # --- completed; the hold goes after its period; a manager approves; she is destroyed ----
        completed = client.post(
            f"{API}{url}/complete", json={"completed_on": clock.today().isoformat()}, headers=manager
        )
        assert completed.status_code == 200, completed.text
        release_on = dt.date.fromisoformat(completed.json()["hold_release_on"])
        clock.set(release_on)
        assert container.retention.sweep(dry_run=False).count(StepOutcomeKind.done) == 0  # her case is open
        approval = client.post(f"{API}/retention/approvals", json={"person_id": person["id"]}, headers=manager)
        assert approval.status_code == 201, approval.text
        assert container.retention.sweep(dry_run=False).count(StepOutcomeKind.done) == 1
        [certificate] = client.get(f"{API}/certificates", headers=manager).json()["certificates"]

    assert count(container, Person) == 0
    for table in (SubjectAccessRequest, SarItem, SarRedaction, SarBundle):
        assert count(container, table) == 0, table.__name__
    for tier in Tier:  # no version of the bundle's objects, nor a delete marker, in any tier
        assert not [entry for entry in raw_store(container, tier) if entry.split("@")[0] in bundle_keys]
    assert (certificate["subject"], certificate["subject_access_requests"], certificate["sar_bundles"]) == (
        person["pseudonym"],
        1,
        1,
    )
    told = (*HER_NAME.split(), MOTHER, *OTHER_PUPIL.split(), BORN.isoformat(), request["reference"])
    assert not [name for name in told if name in str(certificate)]
    container.close()
