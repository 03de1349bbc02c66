"""A query parameter sent twice is a 400 naming it: no route takes a list, and
`?person_id=1&person_id=2` answered for one of them, the other dropped unseen."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_query_parameter_sent_twice_is_a_400_naming_it(client: TestClient, callers, case) -> None:
    officer = callers["officer"].headers
    answer = client.get(f"/api/v1/cases?person_id={case['person_id']}&person_id=999", headers=officer)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "query parameter person_id was sent more than once; send each once"
    once = client.get(f"/api/v1/cases?person_id={case['person_id']}&status=open", headers=officer)
    assert once.status_code == 200 and [c["id"] for c in once.json()["items"]] == [case["id"]]
