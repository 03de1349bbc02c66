"""Logging configured as a casevault process configures it, captured for a test.

``logged()`` returns what reached stderr so far: the raw text and the lines
parsed as JSON. The root logger is put back as it was afterwards.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from casevault.core.logs import configure_logging
from casevault.core.settings import Settings


def json_lines(text: str) -> list[dict]:
    """The JSON lines of a log (Celery still prints a few plain-text lines)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@dataclass
class Logged:
    text: str = ""
    lines: list[dict] = field(default_factory=list)


@pytest.fixture
def logged(capsys: pytest.CaptureFixture[str]) -> Iterator:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(Settings(log_format="json", log_level="INFO"))
    seen = Logged()

    def read() -> Logged:
        seen.text += capsys.readouterr().err
        seen.lines = json_lines(seen.text)
        return seen

    yield read
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)
