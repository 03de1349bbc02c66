"""The docs page's schema: an Authorize button (a bearer security scheme) and the upload's
multipart form, so Swagger UI offers a file picker for it."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_served_schema_declares_bearer_tokens_and_the_upload_form(client: TestClient, callers) -> None:
    schema = client.get("/api/v1/openapi.json", headers=callers["officer"].headers).json()
    assert schema["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    assert schema["security"] == [{"bearer": []}]

    upload = schema["paths"]["/api/v1/cases/{case_id}/documents"]["post"]["requestBody"]
    form = upload["content"]["multipart/form-data"]["schema"]
    assert form["properties"]["file"] == {"type": "string", "format": "binary", "description": "PDF, JPEG, PNG or TIFF"}
    assert set(form["required"]) == {"file", "correspondence_date", "provided_by"}
    assert "school" in form["properties"]["provided_by"]["enum"]
