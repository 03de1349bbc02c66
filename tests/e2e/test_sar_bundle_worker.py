"""A real `casevault worker` builds a subject access bundle: the manager asks, the task (a
bundle id) goes through the broker, the worker builds and stores it, and it reads back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import BundleStatus, ItemDecision, Role, SarBundle, User
from casevault.core.settings import Settings
from tests.e2e.servers import running_worker, wait_for
from tests.fixtures_brokers import OnBroker
from tests.retention.seeding import seed_person
from tests.sar_requests import add_note, add_pdf_document, mark, open_request
from tests.tokens import new_user


@pytest.mark.parametrize("broker", ["sqlite", "redis"])
def test_a_worker_builds_the_bundle_a_manager_asks_for(
    settings: Settings, tmp_path: Path, broker: str, on_broker: OnBroker
) -> None:
    settings = on_broker(broker, settings)
    init_storage(settings)
    container = Services(settings)
    seeded = seed_person(container, tmp_path, born=dt.date(2012, 3, 4), documents=0)
    manager, _ = new_user(container, "maya", Role.manager)
    document = add_pdf_document(
        container, tmp_path, case_id=seeded.case_id, subject=seeded.pseudonym, pages=[("Annual review",), ("Plan",)]
    )
    note = add_note(container, case_id=seeded.case_id, text="Met the family.")
    request_id = open_request(container, person_id=seeded.person_id, opened_by=manager.id)
    mark(container, request_id, ItemDecision.disclosed, "released in full", document_id=document)
    mark(container, request_id, ItemDecision.disclosed, "released in full", note_id=note)

    def bundle() -> SarBundle:
        with container.new_session() as session:
            found = session.get(SarBundle, bundle_id)
            assert found is not None
            return found

    with running_worker(settings, tmp_path / "worker.log"):
        with transaction(container.new_session) as session:
            asked = container.sar_bundles.request_build(
                session, request_id=request_id, user=session.get(User, manager.id)
            )
            session.flush()
            bundle_id = asked.id  # the task is sent once this commits
        wait_for(lambda: bundle().status is not BundleStatus.building, 120, "the worker building the bundle")

    built = bundle()
    assert (built.status, built.progress, built.problem) == (BundleStatus.built, 100, None)
    assert built.pages is not None and built.pages >= 4  # cover letter, index, two pages, a note
    with container.new_session() as session:
        file = container.sar_bundles.file(
            session, request_id=request_id, part="pdf", user=session.get(User, manager.id)
        )
    assert b"".join(container.sar_bundles.chunks(file)).startswith(b"%PDF")
    assert list((settings.data_dir / "tmp").iterdir()) == []  # the worker's scratch is gone
    container.close()
