"""Service-wide counters: exact under concurrent writers, fixed label vocabularies."""

from __future__ import annotations

import threading

import pytest

from casevault.core import counters
from casevault.core.db import SessionFactory, transaction
from casevault.retention.steps import StepOutcomeKind


def test_adds_accumulate_per_label(new_session: SessionFactory) -> None:
    with transaction(new_session) as session:
        counters.add(session, "ocr_pages", 3, label="ocr")
        counters.add(session, "ocr_pages", 2, label="text")
    with transaction(new_session) as session:
        counters.add(session, "ocr_pages", 4, label="ocr")
        counters.add(session, "destructions")
        counters.add(session, "ocr_seconds", 1.25)
    with new_session() as session:
        assert counters.totals(session) == {
            ("ocr_pages", "ocr"): 7,
            ("ocr_pages", "text"): 2,
            ("destructions", ""): 1,
            ("ocr_seconds", ""): 1.25,
        }


def test_a_rolled_back_transaction_counts_nothing(new_session: SessionFactory) -> None:
    with pytest.raises(RuntimeError):
        with transaction(new_session) as session:
            counters.add(session, "ocr_failures")
            raise RuntimeError("the work failed")
    with new_session() as session:
        assert counters.totals(session) == {}


def test_exact_when_many_workers_add_at_once(new_session: SessionFactory) -> None:
    threads, adds = 8, 25
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for _ in range(adds):
                with transaction(new_session) as session:
                    counters.add(session, "sweep_outcomes", label="done")
                    counters.add(session, "destroyed_bytes", 10)
        except BaseException as error:
            errors.append(error)

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == []
    with new_session() as session:
        totals = counters.totals(session)
    assert totals[("sweep_outcomes", "done")] == threads * adds
    assert totals[("destroyed_bytes", "")] == threads * adds * 10


@pytest.mark.parametrize(
    ("name", "label", "complaint"),
    [
        ("pages_of_jamie", "", "unknown counter"),
        ("sweep_outcomes", "Jamie Example", "takes outcome in"),
        ("ocr_pages", "", "takes method in"),
        ("destructions", "2012-03-04", "has no label"),
    ],
)
def test_refuses_names_and_labels_outside_the_vocabulary(
    new_session: SessionFactory, name: str, label: str, complaint: str
) -> None:
    with new_session() as session:
        with pytest.raises(ValueError, match=complaint):
            counters.add(session, name, label=label)


def test_sweep_outcome_vocabulary_is_the_sweeps_own() -> None:
    assert counters.SWEEP_OUTCOMES.values == {kind.value for kind in StepOutcomeKind}
