"""Log lines an operator's collector can parse, naming the request and the task."""

from __future__ import annotations

import logging

import pytest
from fpdf import FPDF

from casevault.core.logs import TASK, RunningTask, configure_logging, request_id_bound
from casevault.core.settings import Settings
from casevault.policy.bundle import FONT_DIR

log = logging.getLogger("casevault.test")


def test_every_line_is_one_json_object_with_time_level_logger_and_message(logged) -> None:
    log.info("document %s is %s", 7, "ready")
    log.debug("not at INFO")
    output = logged()
    assert len(output.text.splitlines()) == 1
    [line] = output.lines
    assert line["message"] == "document 7 is ready"
    assert (line["level"], line["logger"]) == ("INFO", "casevault.test")
    assert line["time"].endswith("+00:00") and "T" in line["time"]  # UTC, ISO 8601
    assert "request_id" not in line and "task_name" not in line


def test_lines_name_the_request_and_the_task_they_belong_to(logged) -> None:
    with request_id_bound("req-12345678"):
        log.info("inside the request")
        token = TASK.set(RunningTask("casevault.ingest.ocr_document", "task-1"))
        log.warning("inside its task")
        TASK.reset(token)
    log.info("after it")
    inside, in_task, after = logged().lines
    assert inside["request_id"] == "req-12345678" and "task_name" not in inside
    assert (in_task["request_id"], in_task["task_name"], in_task["task_id"]) == (
        "req-12345678",
        "casevault.ingest.ocr_document",
        "task-1",
    )
    assert "request_id" not in after


def test_an_exception_is_kept_in_its_line(logged) -> None:
    try:
        raise ValueError("bad page")
    except ValueError:
        log.exception("OCR failed")
    output = logged()
    [line] = output.lines
    assert "ValueError: bad page" in line["exception"] and "Traceback" in line["exception"]
    assert len(output.text.splitlines()) == 1, "a traceback stays inside its JSON line"


def test_extra_data_is_not_written_unless_named(logged) -> None:
    log.info("task failed", extra={"data": {"args": ["Jamie Example"]}})
    output = logged()
    assert "Jamie" not in output.text  # Celery attaches task arguments as `data`


def test_text_format_for_humans_names_the_request(logged) -> None:
    configure_logging(Settings(log_format="text", log_level="INFO"))
    with request_id_bound("req-12345678"):
        log.info("inside the request")
    text = logged().text
    assert "INFO casevault.test: inside the request (request_id=req-12345678)" in text
    assert not text.lstrip().startswith("{")


def test_configuring_again_replaces_the_handler_instead_of_doubling_lines(logged) -> None:
    configure_logging(Settings(log_format="json", log_level="INFO"))
    configure_logging(Settings(log_format="json", log_level="INFO"))
    log.info("once")
    assert [line["message"] for line in logged().lines] == ["once"]


def test_warnings_from_libraries_become_lines_too(logged) -> None:
    import warnings

    warnings.warn("a library is unhappy", UserWarning, stacklevel=1)
    [line] = logged().lines
    assert line["logger"] == "py.warnings" and "a library is unhappy" in line["message"]


@pytest.mark.skipif(not (FONT_DIR / "DejaVuSans.ttf").is_file(), reason="needs fonts-dejavu-core, as bundles do")
def test_setting_text_in_a_pdf_logs_nothing_of_its_letters(logged) -> None:
    """fpdf2 subsets the bundle's font through fontTools, which logs every glyph's name at INFO."""
    pdf = FPDF()
    pdf.add_font("body", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_page()
    pdf.set_font("body", size=12)
    pdf.cell(text="Żaneta Quigley")
    pdf.output()
    output = logged()
    assert not [line for line in output.lines if line["logger"].startswith("fontTools")], output.text[:500]
