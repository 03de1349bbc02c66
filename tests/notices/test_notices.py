"""Policy notices: publishing a version lists the people of every active case, whose
parents or carers must be told; officers record who was given it, and how, until no one
is left to tell."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.cli import cli
from casevault.core.db import transaction
from casevault.core.errors import Conflict, InvalidInput
from casevault.core.models import AuditEvent, Case, CaseStatus, PolicyNotice, PolicyNotification
from casevault.core.settings import Settings
from casevault.retention import notices
from casevault.retention.destroy import delete_personal_rows
from tests.notices.conftest import Referral

NOTICE = "How we look after your information.\nVersion one.\n"


def _publish(container: Services, version: str, text: str = NOTICE) -> notices.Published:
    with transaction(container.new_session) as session:
        return notices.publish(session, version=version, text=text, clock=container.clock, actor="cli")


def _set_status(container: Services, case_id: int, status: CaseStatus) -> None:
    with transaction(container.new_session) as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.closed_on = status, dt.date(2026, 10, 1)
        session.add(case)


def _to_tell(client: TestClient, headers: dict, version: str, outstanding: bool = True) -> list[int]:
    query = {"version": version, "outstanding": str(outstanding).lower()}
    answer = client.get("/api/v1/policy/notifications", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["person_id"] for item in answer.json()["items"]]


def _give(client: TestClient, headers: dict, person_id: int, version: str, how: str = "written"):
    return client.post(f"/api/v1/people/{person_id}/notices", json={"version": version, "how": how}, headers=headers)


@pytest.fixture
def people(container: Services, refer: Referral) -> dict[str, dict]:
    """Amy (open, olive's), Ben (closed, olive's), Cal (restoring, olive's), Dee (open, oscar's)."""
    cases = {"amy": refer("Amy Example", "olive"), "ben": refer("Ben Example", "olive")}
    cases |= {"cal": refer("Cal Example", "olive"), "dee": refer("Dee Example", "oscar")}
    _set_status(container, cases["ben"]["id"], CaseStatus.closed)
    _set_status(container, cases["cal"]["id"], CaseStatus.restoring)
    return cases


def test_publishing_lists_the_people_of_active_cases_until_each_is_told(
    client: TestClient, container: Services, headers, people
) -> None:
    amy, cal, dee = (people[name]["person_id"] for name in ("amy", "cal", "dee"))
    published = _publish(container, "2026-1")
    assert published.to_tell == [amy, cal, dee]  # not Ben: his case is closed

    assert _to_tell(client, headers["maya"], "2026-1") == [amy, cal, dee]
    assert _to_tell(client, headers["olive"], "2026-1") == [amy, cal]  # her cases only
    assert _to_tell(client, headers["oscar"], "2026-1") == [dee]
    item = client.get("/api/v1/policy/notifications?version=2026-1", headers=headers["olive"]).json()["items"][0]
    assert (item["full_name"], item["case_references"], item["told_at"]) == (
        "Amy Example",
        [people["amy"]["reference"]],
        None,
    )

    given = _give(client, headers["olive"], amy, "2026-1", how="verbal")
    assert given.status_code == 201, given.text
    assert (given.json()["version"], given.json()["how"], given.json()["recorded_by"]) == ("2026-1", "verbal", "olive")
    assert _to_tell(client, headers["maya"], "2026-1") == [cal, dee]
    told = client.get("/api/v1/policy/notifications?version=2026-1&outstanding=false", headers=headers["maya"])
    assert [(i["person_id"], i["notice_id"]) for i in told.json()["items"]] == [(amy, given.json()["id"])]
    assert told.json()["items"][0]["told_at"] is not None

    assert _give(client, headers["maya"], dee, "2026-1", how="email").status_code == 201  # managers: anyone
    assert _give(client, headers["olive"], cal, "2026-1", how="online").status_code == 201
    assert _to_tell(client, headers["maya"], "2026-1") == []


def test_a_later_version_given_tells_them_of_the_earlier_too(
    client: TestClient, container: Services, headers, people
) -> None:
    amy = people["amy"]["person_id"]
    _publish(container, "2026-1")
    _publish(container, "2026-2", NOTICE + "Changed.\n")
    assert _give(client, headers["olive"], amy, "2026-2").status_code == 201
    assert amy not in _to_tell(client, headers["maya"], "2026-1")
    assert amy not in _to_tell(client, headers["maya"], "2026-2")
    listed = client.get(f"/api/v1/people/{amy}/notices", headers=headers["olive"])
    assert [(n["version"], n["how"]) for n in listed.json()["items"]] == [("2026-2", "written")]


def test_an_earlier_version_given_does_not_tell_them_of_a_later_one(
    client: TestClient, container: Services, headers, people
) -> None:
    amy = people["amy"]["person_id"]
    _publish(container, "2026-1")
    _publish(container, "2026-2", NOTICE + "Changed.\n")
    assert _give(client, headers["olive"], amy, "2026-1").status_code == 201
    assert amy not in _to_tell(client, headers["maya"], "2026-1")
    assert amy in _to_tell(client, headers["maya"], "2026-2")


def test_versions_are_listed_with_their_hash_and_read_with_their_text(
    client: TestClient, container: Services, headers
) -> None:
    _publish(container, "2026-1")
    _publish(container, "2026-2", "Second.\n")
    for caller in ("olive", "maya"):
        listed = client.get("/api/v1/policy/notices", headers=headers[caller])
        assert listed.status_code == 200, listed.text
        assert [v["version"] for v in listed.json()["items"]] == ["2026-1", "2026-2"]
    first = listed.json()["items"][0]
    assert len(first["sha256"]) == 64 and "text" not in first
    one = client.get("/api/v1/policy/notices/2026-2", headers=headers["olive"])
    assert one.json()["text"] == "Second.\n"
    assert client.get("/api/v1/policy/notices/2027-9", headers=headers["olive"]).status_code == 404


def test_publishing_the_same_version_again(container: Services, people) -> None:
    assert _publish(container, "2026-1").new
    again = _publish(container, "2026-1")
    assert (again.new, again.to_tell) == (False, [])
    with pytest.raises(Conflict, match="new version"):
        _publish(container, "2026-1", "Other text.\n")
    for bad in ("", "2026 1", "../x", "v" * 33):
        with pytest.raises(InvalidInput, match="version"):
            _publish(container, bad)
    with pytest.raises(InvalidInput, match="empty"):
        _publish(container, "2026-2", "  \n")


@pytest.mark.parametrize(
    ("caller", "status"),
    [("oscar", 404), ("adam", 403), ("no token", 401)],
)
def test_only_an_officer_of_the_persons_cases_or_a_manager_records_a_notice(
    client: TestClient, container: Services, headers, people, caller: str, status: int
) -> None:
    _publish(container, "2026-1")
    amy = people["amy"]["person_id"]
    assert _give(client, headers[caller], amy, "2026-1").status_code == status
    assert _give(client, headers["oscar"], 2_000_000, "2026-1").status_code == 404  # exactly like no one
    assert amy in _to_tell(client, headers["maya"], "2026-1")


@pytest.mark.parametrize(
    ("path", "caller", "status"),
    [
        ("/api/v1/policy/notices", "adam", 403),
        ("/api/v1/policy/notices", "no token", 401),
        ("/api/v1/policy/notifications?version=2026-1", "adam", 403),
        ("/api/v1/policy/notifications?version=2026-1", "no token", 401),
        ("/api/v1/policy/notifications?version=2027-9", "maya", 404),
        ("/api/v1/policy/notifications", "maya", 422),
    ],
)
def test_reading_notices_and_notifications_is_refused_or_missing(
    client: TestClient, container: Services, headers, path: str, caller: str, status: int
) -> None:
    _publish(container, "2026-1")
    assert client.get(path, headers=headers[caller]).status_code == status


def test_a_notice_needs_a_published_version_and_a_known_way(
    client: TestClient, container: Services, headers, people
) -> None:
    _publish(container, "2026-1")
    amy = people["amy"]["person_id"]
    unpublished = _give(client, headers["olive"], amy, "2027-1")
    assert unpublished.status_code == 422 and "GET /policy/notices" in unpublished.text
    assert _give(client, headers["olive"], amy, "2026-1", how="pigeon").status_code == 422
    assert _to_tell(client, headers["maya"], "2026-1") == [amy, people["cal"]["person_id"], people["dee"]["person_id"]]


def test_notices_are_audited_with_ids_and_counts_only(client: TestClient, container: Services, headers, people) -> None:
    _publish(container, "2026-1")
    amy = people["amy"]["person_id"]
    notice = _give(client, headers["olive"], amy, "2026-1").json()
    _to_tell(client, headers["maya"], "2026-1")
    with container.new_session() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("policy."))).all()  # type: ignore[attr-defined]
    assert [(r.action, r.subject_id, json.loads(r.details)) for r in rows] == [
        ("policy.notice.record", str(amy), {"notice": notice["id"], "told": 1}),
        ("policy.notifications.read", None, {"version": "2026-1", "outstanding": True, "count": 2}),
    ]


def test_a_destroyed_persons_notices_go_with_them(client: TestClient, container: Services, headers, people) -> None:
    _publish(container, "2026-1")
    amy = people["amy"]["person_id"]
    assert _give(client, headers["olive"], amy, "2026-1").status_code == 201
    with transaction(container.new_session) as session:
        delete_personal_rows(session, person_id=amy)
    with container.new_session() as session:
        assert session.exec(select(PolicyNotice).where(PolicyNotice.person_id == amy)).all() == []
        assert session.exec(select(PolicyNotification).where(PolicyNotification.person_id == amy)).all() == []


def test_the_publish_command(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, container: Services, people
) -> None:
    for name, value in {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(f"CASEVAULT_{name}", str(value))
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    notice = tmp_path / "notice.txt"
    notice.write_text(NOTICE, encoding="utf-8")

    done = runner.invoke(cli, ["policy", "publish", str(notice), "--version", "2026-1"])
    assert done.exit_code == 0, done.output
    assert "3 person(s)" in done.output and people["dee"]["reference"] in done.output
    assert "Amy" not in done.output  # ids and references only
    again = runner.invoke(cli, ["policy", "publish", str(notice), "--version", "2026-1"])
    assert again.exit_code == 0 and "nothing changed" in again.output

    notice.write_text("Changed.\n", encoding="utf-8")
    refused = runner.invoke(cli, ["policy", "publish", str(notice), "--version", "2026-1"])
    assert refused.exit_code != 0 and "new version" in refused.output
    notice.write_bytes(b"\xff\xfe not text")
    assert "not UTF-8" in runner.invoke(cli, ["policy", "publish", str(notice), "--version", "2026-2"]).output
    with container.new_session() as session:
        published = session.exec(select(AuditEvent).where(AuditEvent.action == "policy.published")).all()
    assert [json.loads(row.details) for row in published] == [{"version": "2026-1", "to_tell": 3}]
