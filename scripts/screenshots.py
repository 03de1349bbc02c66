"""Screenshots of the main web pages for the README, taken from a real casevault.

Seeds a throw-away data directory through the API (people, cases, a scanned letter made
searchable by tesseract, notes, a closed case), serves it with uvicorn on a loopback
port, and drives Debian's chromium (headless) through the pages as an officer, a manager
and an admin would. Writes PNGs to docs/screenshots/. Needs what `make test` installs.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casevault.api.app import create_app
from casevault.app.bootstrap import initialise
from casevault.app.services import Services
from casevault.core import web_sessions
from casevault.core.db import transaction
from casevault.core.models import Role
from casevault.core.settings import load_settings
from casevault.core.users import create_user
from casevault.ingest.process import process

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PASSWORD = "screenshots only, never a real one"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CONSENT = {"scopes": ["record_personal_details", "store_electronically"], "given_by": "young_person", "how": "verbal"}
TODAY = dt.date.today()


def letter(path: Path) -> Path:
    """A scanned letter: dark text on white paper at 300 dpi."""
    lines = ("Annual review of the EHC plan", "Speech and language therapy", "twice weekly from September")
    image = Image.new("L", (2000, 700), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 64) if FONT.exists() else ImageFont.load_default(size=64)
    for row, line in enumerate(lines):
        draw.text((80, 80 + row * 160), line, font=font, fill=0)
    image.save(path, dpi=(300, 300))
    return path


def seed(services: Services, scratch: Path) -> dict[str, int]:
    with transaction(services.new_session) as session:
        tokens = {
            name: create_user(session, username=name, role=role, clock=services.clock)[1]
            for name, role in (("olive", Role.officer), ("maya", Role.manager))
        }
    for name in ("olive", "maya", "admin"):
        with transaction(services.new_session) as session:
            web_sessions.set_password(session, username=name, password=PASSWORD)
    olive = {"Authorization": f"Bearer {tokens['olive']}"}
    maya = {"Authorization": f"Bearer {tokens['maya']}"}
    with TestClient(create_app(services)) as client:

        def refer(name: str, born: dt.date, source: str) -> dict:
            person = {"full_name": name, "date_of_birth": born.isoformat(), "consent": CONSENT}
            body = {"person": person, "referral_date": (TODAY - dt.timedelta(days=40)).isoformat()}
            answer = client.post("/api/v1/cases", json=body | {"referral_source": source}, headers=olive)
            assert answer.status_code == 201, answer.text
            return answer.json()

        amelia = refer("Amelia Smith", TODAY.replace(year=TODAY.year - 14), "parent_carer")
        refer("Ben Jones", TODAY.replace(year=TODAY.year - 11), "young_person")
        with letter(scratch / "review.png").open("rb") as body:
            uploaded = client.post(
                f"/api/v1/cases/{amelia['id']}/documents",
                files={"file": ("annual-review.png", body, "image/png")},
                data={"correspondence_date": (TODAY - dt.timedelta(days=30)).isoformat(), "provided_by": "school"},
                headers=olive,
            )
        assert uploaded.status_code == 202, uploaded.text
        document = uploaded.json()["id"]
        process(
            new_session=services.new_session,
            vault=services.vault,
            options=services.ocr_options,
            limits=services.upload_limits,
            scratch=services.settings.data_dir / "tmp",
            clock=services.clock,
            document_id=document,
            holder="screenshots",
        )
        note = {
            "kind": "progress_summary",
            "text": "Met Amelia and her mother; agreed to ask the school for the therapy timetable.",
            "date": (TODAY - dt.timedelta(days=20)).isoformat(),
        }
        client.post(f"/api/v1/cases/{amelia['id']}/notes", json=note, headers=olive)
        request = {
            "person_id": amelia["person_id"],
            "requester_kind": "parent_carer",
            "requester_name": "Mrs Smith",
            "received_on": (TODAY - dt.timedelta(days=3)).isoformat(),
        }
        sar = client.post("/api/v1/subject-access", json=request, headers=maya)
        assert sar.status_code == 201, sar.text
        marked = client.post(f"/api/v1/subject-access/{sar.json()['id']}/items", headers=maya)
        assert marked.status_code == 200, marked.text
    return {"case": amelia["id"], "document": document, "person": amelia["person_id"], "sar": sar.json()["id"]}


def served(services: Services) -> tuple[uvicorn.Server, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--disable-dev-shm-usage", "--window-size=1280,900", "--hide-scrollbars"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    return webdriver.Chrome(options=options, service=Service(executable_path=shutil.which("chromedriver")))


def shoot(driver: WebDriver, url: str, name: str) -> None:
    driver.get(url)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(height, 600), 2400))
    OUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUT / f"{name}.png"))
    driver.set_window_size(1280, 900)
    print(f"docs/screenshots/{name}.png  {url}")  # noqa: T201  # a script, saying what it wrote


def sign_in(driver: WebDriver, base: str, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        services = Services(load_settings(data_dir=Path(scratch) / "var"))
        initialise(services)
        ids = seed(services, Path(scratch))
        server, base = served(services)
        driver = browser()
        try:
            shoot(driver, f"{base}/", "sign-in")
            sign_in(driver, base, "olive")
            shoot(driver, f"{base}/cases", "my-cases")
            shoot(driver, f"{base}/cases/{ids['case']}", "case")
            shoot(driver, f"{base}/documents/{ids['document']}", "document")
            shoot(driver, f"{base}/search?q=therapy", "search")
            shoot(driver, f"{base}/people/{ids['person']}", "person")
            sign_in(driver, base, "maya")
            shoot(driver, f"{base}/manager", "dashboard")
            shoot(driver, f"{base}/subject-access/{ids['sar']}", "subject-access")
            shoot(driver, f"{base}/audit", "audit-log")
            sign_in(driver, base, "admin")
            shoot(driver, f"{base}/admin/users", "users")
        finally:
            driver.quit()
            server.should_exit = True
            services.close()


if __name__ == "__main__":
    main()
