"""A valid body for each API operation that takes one, keyed by method and path template:
the tests that send every operation (bounds, probing) start from these."""

from __future__ import annotations

from tests.people import CONSENT

VALID_BODIES = {
    ("POST", "/api/v1/people"): {"full_name": "Sam Example", "date_of_birth": "2012-03-04", "consent": CONSENT},
    ("POST", "/api/v1/cases"): {"person_id": 1, "referral_date": "2026-09-01", "referral_source": "parent_carer"},
    ("POST", "/api/v1/cases/{case_id}/close"): {
        "closed_on": "2026-11-01",
        "outcome": "Resolved.",
        "outcome_code": "advice_given",
    },
    ("POST", "/api/v1/cases/{case_id}/reopen"): {"reason": "Asked again."},
    ("POST", "/api/v1/cases/{case_id}/notes"): {"kind": "progress_summary", "text": "Met.", "date": "2026-10-01"},
    ("POST", "/api/v1/holds"): {"person_id": 1, "kind": "safeguarding", "reason": "Concern."},
    ("POST", "/api/v1/retention/approvals"): {"person_id": 1},
    ("PATCH", "/api/v1/people/{person_id}"): {"full_name": "Sam Example"},
    ("POST", "/api/v1/documents/{document_id}/move"): {"case_id": 1, "reason": "Misfiled."},
    ("DELETE", "/api/v1/documents/{document_id}"): {"reason": "Uploaded in error."},
    ("PATCH", "/api/v1/notes/{note_id}"): {"text": "Met them.", "reason": "Typo."},
    ("POST", "/api/v1/cases/{case_id}/assign"): {"officer": "olive"},
    ("POST", "/api/v1/people/{person_id}/notices"): {"version": "2026-1", "how": "written"},
    ("POST", "/api/v1/people/{person_id}/consents"): {
        "scopes": ["contact_professionals"],
        "given_by": "young_person",
        "how": "written",
        "given_on": "2026-10-01",
        "review_on": "2027-10-01",
        "evidence_document_id": 1,
    },
    ("POST", "/api/v1/consents/{consent_id}/withdraw"): {"how": "email"},
    ("PUT", "/api/v1/people/{person_id}/access-refusal"): {"refused": ["parent_carer"], "method": "verbal"},
    ("POST", "/api/v1/cases/{case_id}/disclosures"): {
        "recipient_kind": "school",
        "recipient": "Head teacher",
        "documents": [1],
        "basis": "consent",
    },
    ("POST", "/api/v1/subject-access"): {
        "person_id": 1,
        "requester_kind": "parent_carer",
        "requester_name": "Pat Example",
        "received_on": "2026-11-20",
    },
    ("POST", "/api/v1/subject-access/{request_id}/clock-stops"): {"reason": "identity", "stopped_on": "2026-11-21"},
    ("POST", "/api/v1/subject-access/{request_id}/clock-stops/{stop_id}/resume"): {"resumed_on": "2026-11-22"},
    ("POST", "/api/v1/subject-access/{request_id}/extension"): {
        "months": 1,
        "reason": "Many documents.",
        "told_on": "2026-11-22",
    },
    ("PATCH", "/api/v1/subject-access/{request_id}"): {"authority": "Signed authority."},
    ("POST", "/api/v1/subject-access/{request_id}/complete"): {"completed_on": "2026-11-23"},
}
