"""The API as uvicorn builds it in each worker process (``CASEVAULT_API_WORKERS`` > 1).

uvicorn starts its workers as fresh interpreters that import an app factory by
name, so each one reads the settings, sets up logging and builds its own
Services (its own database pool) here.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from fastapi import FastAPI

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.logs import configure_logging
from casevault.core.settings import load_settings

FACTORY = "casevault.api.asgi:create_from_environment"


def create_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging(settings)
    return create_app(Services(settings))


def fresh_metrics_dir(data_dir: Path) -> Path:
    """Where prometheus_client's worker processes share their counts
    (``PROMETHEUS_MULTIPROC_DIR``); emptied, since files a previous run left
    would be added to this run's figures. One folder per host: containers of a
    scaled-out API may share the data volume, and must not empty each other's."""
    path = data_dir / "run" / "metrics" / socket.gethostname()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700, parents=True)
    return path
