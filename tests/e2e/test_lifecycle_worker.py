"""The life of test_lifecycle.py, with every piece of background work done by a real
`casevault worker` process taking its tasks from Redis, on both storage backends:

- the upload route queues OCR, and the worker makes each document searchable;
- the sweep is sent through the broker as beat sends it, and the worker archives
  and, at 25, destroys;
- a re-referral queues the restore task, and the worker brings the case back
  (no sweep runs meanwhile).

The API in this process lives on the test's clock; the worker lives in real time.
So the whole life lies in the real past (25 on 10 March 2026), and the sweeps for
days the test chooses carry that day (``as_of``), as an operator would send them;
the last one carries nothing, exactly as beat sends it, and acts as of today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import Consent, ConsentScope, Role, Tier
from tests.e2e.life import (
    FULL_NAME,
    assert_nothing_left_but_a_certificate,
    hits,
    keys_in,
    stored_keys,
    sweep_by_worker,
    sweeps_done,
    upload_three,
)
from tests.e2e.servers import running_worker, wait_for
from tests.fixtures_brokers import OnBroker
from tests.people import CONSENT
from tests.tokens import token

BORN = dt.date(2001, 3, 10)  # 25 on 10 March 2026: before the worker's today, so it may act then
WAIT = 60  # seconds for one piece of work; each takes about one


@pytest.fixture
def on_redis(backend_container: Services, clock: FixedClock, on_broker: OnBroker) -> Iterator[Services]:
    """The backend's storage and database, with Redis as the broker."""
    container = Services(on_broker("redis", backend_container.settings), clock=clock)
    yield container
    container.close()


def test_a_worker_does_a_young_persons_lifecycle_from_referral_to_destruction(
    on_redis: Services, tmp_path: Path
) -> None:
    container = on_redis
    clock: FixedClock = container.clock
    clock.set(dt.date(2023, 11, 24))
    officer, manager = token(container, "olive", Role.officer), token(container, "maya", Role.manager)
    log = tmp_path / "worker.log"

    with running_worker(container.settings, log), TestClient(create_app(container)) as client:

        def status(case_id: int) -> str:
            return client.get(f"/api/v1/cases/{case_id}", headers=officer).json()["status"]

        # --- referral, three documents: the worker OCRs what the upload route queued -------
        person = client.post(
            "/api/v1/people",
            json={"full_name": FULL_NAME, "date_of_birth": BORN.isoformat(), "consent": CONSENT},
            headers=officer,
        ).json()
        case = client.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "referral_date": "2023-09-01", "referral_source": "parent_carer"},
            headers=officer,
        ).json()
        documents = upload_three(client, officer, case["id"], tmp_path, ("2023-09-10", "2023-10-02", "2023-11-01"))

        def statuses() -> list[str]:
            return [client.get(f"/api/v1/documents/{d}", headers=officer).json()["status"] for d in documents]

        wait_for(
            lambda: "queued" not in statuses() and "processing" not in statuses(),
            WAIT,
            "the worker OCRing three uploads",
        )
        assert statuses() == ["ready"] * 3
        assert (
            client.post(
                f"/api/v1/cases/{case['id']}/notes",
                json={"kind": "progress_summary", "text": "Met Jamie's parents.", "date": "2023-11-02"},
                headers=officer,
            ).status_code
            == 201
        )
        with transaction(container.new_session) as session:
            session.add(
                Consent(person_id=person["id"], scope=ConsentScope.store_electronically, given_on=dt.date(2023, 9, 1))
            )
        assert hits(client, officer, "tribunal") and hits(client, officer, "speech therapy")
        keys = stored_keys(container)
        assert len(keys) == 9 and keys_in(container, Tier.active) == keys  # original, searchable, words of each

        # --- closure; the worker's sweep archives -----------------------------------------------
        closed = client.post(
            f"/api/v1/cases/{case['id']}/close",
            json={"closed_on": "2023-11-20", "outcome": "Plan agreed.", "outcome_code": "advice_given"},
            headers=officer,
        )
        assert closed.status_code == 200, closed.text
        archived = sweep_by_worker(container, "2023-11-24")
        assert (archived["as_of"], archived["due"], archived["done"], archived["failed"]) == ("2023-11-24", 1, 1, 0)
        assert keys_in(container, Tier.active) == set() and keys_in(container, Tier.archive) == keys
        for key in keys:
            tags = container.vault.get_tags(object_key=key, tier=Tier.archive)
            assert tags.tier is Tier.archive
        shown = client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()
        assert (shown["status"], shown["archive_until"]) == ("archived", "2024-11-02")

        # --- re-referral: the worker runs the restore task the API queued ------------------
        clock.set(dt.date(2024, 6, 1))
        sweeps_so_far = len(sweeps_done(container))
        again = client.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "referral_date": "2024-06-01", "referral_source": "young_person"},
            headers=officer,
        )
        assert again.status_code == 201, again.text
        wait_for(lambda: status(case["id"]) == "closed", WAIT, "the worker restoring the re-referred case")
        assert len(sweeps_done(container)) == sweeps_so_far  # no sweep did it
        assert re.search(r"retention\.restore_case\[[-0-9a-f]+\] succeeded in [0-9.]+s: 'done'", log.read_text())
        assert keys_in(container, Tier.archive) == set() and keys_in(container, Tier.active) == keys
        assert hits(client, officer, "psychologist")

        # --- a hold stops the worker's destruction at the 25th birthday --------------------
        hold = client.post(
            "/api/v1/holds",
            json={"person_id": person["id"], "kind": "legal", "reason": "Tribunal appeal pending"},
            headers=manager,
        ).json()
        day_before = sweep_by_worker(container, "2026-03-09")
        assert (day_before["due"], day_before["done"]) == (0, 0)
        birthday = sweep_by_worker(container, BORN.replace(year=2026).isoformat())
        assert (birthday["due"], birthday["skipped"], birthday["done"]) == (1, 1, 0)
        clock.set(BORN.replace(year=2026))
        due = client.get("/api/v1/retention/due", headers=manager).json()["items"]
        assert [(i["kind"], i["held"]) for i in due] == [("destroy_person", True)]
        assert keys_in(container, Tier.active) == keys and container.vault.has_key(subject=person["pseudonym"])

        # --- release; the sweep as beat sends it (no argument: today) destroys -----------------
        assert client.delete(f"/api/v1/holds/{hold['id']}", headers=manager).status_code == 200
        # The re-referral's case is still open: a manager approves the destruction.
        approval = client.post("/api/v1/retention/approvals", json={"person_id": person["id"]}, headers=manager)
        assert approval.status_code == 201, approval.text
        today = sweep_by_worker(container)
        assert today["as_of"] > "2026-03-10" and (today["due"], today["done"], today["failed"]) == (1, 1, 0)
        assert_nothing_left_but_a_certificate(container, client, manager, pseudonym=person["pseudonym"], born=BORN)
