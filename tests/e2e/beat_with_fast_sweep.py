"""`casevault beat` as casevault builds it, plus one test entry: the sweep every 2 seconds.

Test configuration only, so a test sees many sweep slots in seconds instead of
one a day. The entry's messages carry a header naming it, so a test can tell
them from the daily sweep's. Run as a script with the usual CASEVAULT_ variables;
``BEAT_CLOCK_OFFSET_SECONDS`` moves the beat's clock (and so its lease and its
schedule) that far from the real time, so a test chooses the moment it runs at.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from casevault.app.celery_app import start_beat
from casevault.app.services import Services
from casevault.core.clock import SystemClock
from casevault.core.settings import load_settings

FAST_SWEEP = "fast-sweep"
FAST_SWEEP_SECONDS = 2.0
CLOCK_OFFSET = "BEAT_CLOCK_OFFSET_SECONDS"


class ShiftedClock(SystemClock):
    """The real clock, running at its real pace, from another moment."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def now(self) -> dt.datetime:
        return super().now() + self.offset


def main() -> None:
    offset = dt.timedelta(seconds=float(os.environ.get(CLOCK_OFFSET, "0")))
    container = Services(load_settings(), clock=ShiftedClock(offset))
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    container.celery.conf.beat_schedule[FAST_SWEEP] = {
        "task": "casevault.retention.sweep",
        "schedule": FAST_SWEEP_SECONDS,
        "options": {"headers": {"test_entry": FAST_SWEEP}},
    }
    try:
        start_beat(container, loglevel="INFO")
    finally:
        container.close()


if __name__ == "__main__":
    main()
