"""`casevault api` as an operator runs it: several processes, our access log only, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from casevault.core.settings import Settings
from tests.e2e.servers import casevault_env, free_port, wait_for
from tests.log_capture import json_lines

SEARCH_WORDS = "Jamie dyslexia"


def get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # not listening yet


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # serving is the same on either database
def test_two_api_workers_serve_log_no_search_words_and_stop_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    port, output = free_port(), tmp_path / "api.log"
    stale = settings.data_dir / "run" / "metrics" / socket.gethostname() / "counter_1234.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by an earlier run")
    base = f"http://127.0.0.1:{port}"
    with output.open("wb") as sink:
        api = subprocess.Popen(
            [sys.executable, "-m", "casevault", "api"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=casevault_env(settings, CASEVAULT_API_WORKERS="2", CASEVAULT_PORT=str(port)),
        )
    try:
        wait_for(lambda: get(f"{base}/healthz") == 200 or api.poll() is not None, 60, "the API answering /healthz")
        assert api.poll() is None, output.read_text()
        # Both workers up before counting (on a loaded machine the second may start seconds later).
        wait_for(lambda: output.read_text().count("Started server process") >= 2, 60, "both API workers")
        status = get(f"{base}/api/v1/search?q={SEARCH_WORDS.replace(' ', '+')}", {"X-Request-ID": "probe-search-0001"})
        assert status == 401  # no token: refused, and still logged
        wait_for(lambda: "probe-search-0001" in output.read_text(), 10, "the access line")
        for _ in range(6):
            get(f"{base}/api/v1/cases")  # new connections: either worker may serve each
        both_counted = 'casevault_http_requests_total{method="GET",route="/api/v1/cases",status="401"} 6.0'

        def scraped() -> str:
            with urllib.request.urlopen(f"{base}/metrics", timeout=10) as scrape:
                return scrape.read().decode()

        # A request is counted as its answer goes out, so a scrape right after the last answer
        # may come before its count on a loaded machine: the six are there within seconds.
        wait_for(lambda: both_counted in scraped(), 15, "both workers' counts in one scrape")
    finally:
        api.send_signal(signal.SIGTERM)
        try:
            exit_code = api.wait(timeout=30)
        except subprocess.TimeoutExpired:
            api.kill()
            raise
    text = output.read_text()
    assert exit_code == 0, text[-3000:]

    lines = json_lines(text)
    workers = {line["message"] for line in lines if line["message"].startswith("Started server process")}
    assert len(workers) == 2, text[-3000:]  # each worker process logs its start, as JSON
    for word in SEARCH_WORDS.split():
        assert word not in text, f"{word!r} reached the log"
    [access] = [
        line for line in lines if line.get("request_id") == "probe-search-0001" and line["logger"] == "casevault.access"
    ]
    assert (access["http"]["route"], access["http"]["status"]) == ("/api/v1/search", 401)
    assert not stale.exists() and stale.parent.is_dir(), "the metrics directory starts empty"
    for message in workers:
        pid = int(message.split("[")[1].rstrip("]"))
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # no worker outlives the stop
