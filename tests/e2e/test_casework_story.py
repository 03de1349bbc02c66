"""Casework as a service lives it, through the API with a real `casevault worker` on Redis
and S3 (moto) storage: a misfiled scan moved to the right child and re-encrypted under
her key; a date of birth corrected, which moves the destruction date; an officer who
leaves and whose cases a manager hands over; a second officer's re-referral that brings
the history back read-only with the first outcome intact; a destruction after which new
children get new ids; and an officer probing other officers' ids, who gets 404 throughout.

The API lives on the test's clock, the worker in real time, so every date lies in the
real past and sweeps are sent for the day the story needs (as an operator would).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import col, select

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.models import AuditEvent, Role, StoredObject, Tier, Variant
from casevault.core.settings import Settings
from tests.e2e.life import hits, keys_in, sweep_by_worker, upload
from tests.e2e.servers import casevault_env, running_worker, wait_for
from tests.fixtures_brokers import OnBroker
from tests.ingest.scans import pdf_with_text_pages, save, text_strip
from tests.people import consented
from tests.tokens import token

API = "/api/v1"
WAIT = 60  # seconds for one piece of the worker's work; each takes a few
AMELIA = {"full_name": "Amelia Smith", "date_of_birth": "2012-05-04"}
BEN = {"full_name": "Ben Jones", "date_of_birth": "2001-03-10"}  # wrong: he was born 2000-12-20
CARA = {"full_name": "Cara Novak", "date_of_birth": "2015-06-01"}


@pytest.fixture
def on_redis(backend_container: Services, clock: FixedClock, on_broker: OnBroker) -> Iterator[Services]:
    container = Services(on_broker("redis", backend_container.settings), clock=clock)
    yield container
    container.close()


def _operator(settings: Settings, *args: str) -> str:
    """A `casevault` command, run as an operator runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "casevault", *args], env=casevault_env(settings), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _objects(container: Services, document_id: int) -> dict[Variant, StoredObject]:
    with container.new_session() as session:
        rows = session.exec(select(StoredObject).where(StoredObject.document_id == document_id)).all()
    return {row.variant: row for row in rows}


def _decrypts_under(container: Services, *, subject: str, stored: StoredObject, into: Path) -> bool:
    try:
        container.vault.read_to(subject=subject, object_key=stored.object_key, tier=stored.tier, dest=into)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("backend", ["s3"])
def test_casework_from_a_misfiled_scan_to_a_new_child_after_a_destruction(on_redis: Services, tmp_path: Path) -> None:
    container = on_redis
    clock: FixedClock = container.clock
    clock.set(dt.date(2025, 1, 6))
    olive, oscar = token(container, "olive", Role.officer), token(container, "oscar", Role.officer)
    priya, maya = token(container, "priya", Role.officer), token(container, "maya", Role.manager)

    with running_worker(container.settings, tmp_path / "worker.log"), TestClient(create_app(container)) as client:

        def get(path: str, headers: dict, **params: object) -> dict:
            answer = client.get(f"{API}{path}", headers=headers, params=params)
            assert answer.status_code == 200, (path, answer.text)
            return answer.json()

        def refer(person: dict, on: str, headers: dict, source: str = "parent_carer") -> dict:
            body = {"person": consented(person), "referral_date": on, "referral_source": source}
            answer = client.post(f"{API}/cases", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
            return answer.json()

        # --- two children referred; Amelia's scan is filed on Ben's case by mistake ----------
        amelia_case, ben_case = refer(AMELIA, "2025-01-06", olive), refer(BEN, "2025-01-06", olive)
        amelia = get(f"/people/{amelia_case['person_id']}", olive)
        ben = get(f"/people/{ben_case['person_id']}", olive)
        scan = save(text_strip(("Amelia Smith annual review", "speech therapy twice weekly")), tmp_path / "a.png")
        misfiled = upload(client, olive, ben_case["id"], scan, "2025-01-06")
        letter = pdf_with_text_pages(tmp_path / "ben.pdf", [("Ben Jones transition plan for college",)])
        bens_letter = upload(client, olive, ben_case["id"], letter, "2025-01-06")
        wait_for(
            lambda: {get(f"/documents/{d}", olive)["status"] for d in (misfiled, bens_letter)} == {"ready"},
            WAIT,
            "the worker making both uploads searchable",
        )
        assert [hit["case_reference"] for hit in hits(client, olive, "therapy")] == [ben_case["reference"]]

        # --- another officer probing olive's ids learns nothing: 404, exactly as for none ------
        for path in (
            f"/cases/{ben_case['id']}",
            f"/people/{amelia['id']}",
            f"/documents/{misfiled}",
            f"/documents/{misfiled}/file",
            f"/cases/{ben_case['id']}/documents",
            f"/cases/by-reference/{ben_case['reference']}",
        ):
            assert client.get(f"{API}{path}", headers=oscar).status_code == 404, path
        body = {"person_id": amelia["id"], "referral_date": "2025-01-06", "referral_source": "other"}
        assert client.post(f"{API}/cases", json=body, headers=oscar).status_code == 404
        assert hits(client, oscar, "therapy") == []

        # --- the scan moves to Amelia's case, re-encrypted under her key ----------------------
        before = _objects(container, misfiled)
        moved = client.post(
            f"{API}/documents/{misfiled}/move",
            json={"case_id": amelia_case["id"], "reason": "filed on the wrong child's case"},
            headers=olive,
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["case_id"], moved.json()["uploaded_by"]) == (amelia_case["id"], "olive")
        after = _objects(container, misfiled)
        assert set(after) == set(before) == set(Variant)  # the two PDFs and the words
        active = keys_in(container, Tier.active)
        for variant, stored in after.items():
            assert stored.object_key != before[variant].object_key and stored.object_key in active
            assert before[variant].object_key not in active  # no version of the old object is left
            assert _decrypts_under(container, subject=amelia["pseudonym"], stored=stored, into=tmp_path / "x")
            assert not _decrypts_under(container, subject=ben["pseudonym"], stored=stored, into=tmp_path / "y")
        original = tmp_path / "moved-original"
        container.vault.read_to(
            subject=amelia["pseudonym"], object_key=after[Variant.original].object_key, tier=Tier.active, dest=original
        )
        assert original.read_bytes() == scan.read_bytes()
        [hit] = hits(client, olive, "therapy")
        assert (hit["case_reference"], hit["person_name"]) == (amelia_case["reference"], "Amelia Smith")

        # --- Ben's date of birth corrected: his destruction date moves ---------------------
        def ben_due(as_of: str) -> list[dict]:
            items = get("/retention/due", maya, as_of=as_of)["items"]
            return [item for item in items if item["person_id"] == ben["id"]]

        assert ben_due("2025-12-21") == []
        corrected = client.patch(f"{API}/people/{ben['id']}", json={"date_of_birth": "2000-12-20"}, headers=maya)
        assert corrected.status_code == 200, corrected.text
        [due] = ben_due("2025-12-21")
        assert (due["kind"], due["due_on"], due["awaiting_approval"]) == ("destroy_person", "2025-12-20", True)
        for stored in _objects(container, bens_letter).values():
            tags = container.vault.get_tags(object_key=stored.object_key, tier=Tier.active)
            assert (tags.tier, tags.schedule_version) == (Tier.active, container.schedule.version)

        # --- olive leaves; a manager finds her cases and hands them over ---------------------
        _operator(container.settings, "user", "revoke", "olive")
        stranded = get("/cases", maya, assigned_officer="none")["items"]
        assert {case["id"] for case in stranded} == {amelia_case["id"], ben_case["id"]}
        assert "2" in _operator(container.settings, "cases", "handover", "--from", "olive", "--to", "oscar")
        assert {case["id"] for case in get("/cases", oscar)["items"]} == {amelia_case["id"], ben_case["id"]}
        assert get(f"/documents/{misfiled}", oscar)["case_id"] == amelia_case["id"]

        # --- Amelia's case closes and archives; Ben's open case waits for a manager ------------
        clock.set(dt.date(2025, 2, 3))
        closing = {"closed_on": "2025-02-03", "outcome": "Plan agreed with the family.", "outcome_code": "advice_given"}
        assert client.post(f"{API}/cases/{amelia_case['id']}/close", json=closing, headers=oscar).status_code == 200
        swept = sweep_by_worker(container, "2026-02-10")
        assert swept["failed"] == 0
        assert get(f"/cases/{amelia_case['id']}", maya)["status"] == "archived"
        assert get(f"/cases/{ben_case['id']}", maya)["status"] == "open"  # 25 already, but no approval yet

        # --- a second officer's re-referral brings Amelia's history back, read-only ----------
        clock.set(dt.date(2026, 3, 1))
        again = refer({**AMELIA, "full_name": "  amelia   SMITH "}, "2026-03-01", priya, source="young_person")
        assert (again["person_id"], again["re_referral"]) == (amelia["id"], True)
        wait_for(
            lambda: get(f"/cases/{amelia_case['id']}", maya)["status"] == "closed",
            WAIT,
            "the worker restoring Amelia's earlier case",
        )
        earlier = get(f"/cases/{amelia_case['id']}", priya)
        assert (earlier["closed_on"], earlier["outcome"]) == ("2025-02-03", "Plan agreed with the family.")
        assert [(h["closed_on"], h["outcome"]) for h in earlier["history"]] == [
            ("2025-02-03", "Plan agreed with the family.")
        ]
        [document] = get(f"/cases/{amelia_case['id']}/documents", priya)["items"]
        assert (document["id"], document["tier"]) == (misfiled, "active")
        assert client.get(f"{API}/documents/{misfiled}/file", headers=priya).content == scan.read_bytes()
        note = {"kind": "progress_summary", "text": "Called the school.", "date": "2026-03-01"}
        assert client.post(f"{API}/cases/{amelia_case['id']}/notes", json=note, headers=priya).status_code == 403
        assert again["id"] in {case["id"] for case in get("/cases", maya, re_referral="true")["items"]}
        assert client.get(f"{API}/cases/{again['id']}", headers=oscar).status_code == 404

        # --- Ben is destroyed with a manager's approval ----------------------------------------
        clock.set(dt.date(2026, 3, 2))
        approval = client.post(f"{API}/retention/approvals", json={"person_id": ben["id"]}, headers=maya)
        assert approval.status_code == 201, approval.text
        assert sweep_by_worker(container, "2026-03-02")["done"] >= 1
        certificates = get("/certificates", maya)["certificates"]
        assert [c["subject"] for c in certificates] == [ben["pseudonym"]]
        assert client.get(f"{API}/cases/{ben_case['id']}", headers=maya).status_code == 404

        # --- a new child gets new ids, and no earlier audit row names her ------------------
        cara_case = refer(CARA, "2026-03-02", priya)
        cara_letter = upload(client, priya, cara_case["id"], letter, "2026-03-02")
        assert cara_case["person_id"] > ben["id"] and cara_case["id"] > ben_case["id"]
        assert cara_letter > bens_letter and cara_case["reference"] != ben_case["reference"]
        with container.new_session() as session:
            destroyed_by = session.exec(  # the last audit row of Ben's destruction: Cara came after
                select(sa.func.max(AuditEvent.id)).where(col(AuditEvent.action).startswith("retention.destroy"))
            ).one()
            for subject_type, subject_id in (
                ("person", cara_case["person_id"]),
                ("case", cara_case["id"]),
                ("document", cara_letter),
            ):
                about_someone_else = session.exec(
                    select(AuditEvent.id).where(
                        AuditEvent.subject_type == subject_type,
                        AuditEvent.subject_id == str(subject_id),
                        col(AuditEvent.id) <= destroyed_by,
                    )
                ).all()
                assert about_someone_else == [], (subject_type, subject_id)
