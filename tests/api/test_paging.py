"""Lists page with an opaque cursor, and no route silently ignores a question it does not know."""

from __future__ import annotations

import pytest

from casevault.api.paging import decode_cursor, encode_cursor
from casevault.core.errors import BadQuery


def test_a_query_parameter_the_route_does_not_take_is_a_400_naming_it(client, callers, case) -> None:
    officer = callers["officer"].headers
    assert client.get("/api/v1/cases", params={"status": "open"}, headers=officer).status_code == 200

    response = client.get("/api/v1/cases", params={"persn_id": 2}, headers=officer)

    assert response.status_code == 400
    assert "persn_id" in response.json()["detail"]


def test_a_cursor_gives_back_the_key_it_was_made_from() -> None:
    assert decode_cursor(encode_cursor((42,))) == (42,)
    assert decode_cursor(encode_cursor(("SEN-2026-00001", 7)), shape=(str, int)) == ("SEN-2026-00001", 7)


@pytest.mark.parametrize(
    "cursor",
    ["not base64!", encode_cursor(("x",)), encode_cursor((1, 2)), encode_cursor((2**63,)), encode_cursor((True,))],
)
def test_a_cursor_no_list_gave_out_is_a_400(cursor: str) -> None:
    with pytest.raises(BadQuery, match="leave it out"):
        decode_cursor(cursor)
