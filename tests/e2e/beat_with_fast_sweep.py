"""`casevault beat` as casevault builds it, plus one test entry: the sweep every 2 seconds.

Test configuration only, so a test sees many sweep slots in seconds instead of
one a day. The entry's messages carry a header naming it, so a test can tell
them from the daily sweep's. Run as a script with the usual CASEVAULT_ variables.
"""

from __future__ import annotations

import logging

from casevault.core.settings import load_settings
from casevault.app.services import Services as Container
from casevault.app.celery_app import start_beat

FAST_SWEEP = "fast-sweep"
FAST_SWEEP_SECONDS = 2.0


def main() -> None:
    container = Container(load_settings())
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
