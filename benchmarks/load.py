"""Load and faults: many officers uploading at once, on PostgreSQL, Redis and two workers.

    .venv/bin/python benchmarks/load.py [--clients 20] [--documents 200] [--only clean|faults]

Everything runs on loopback, as separate processes started the way an operator
starts them: `casevault api` (uvicorn), two `casevault worker` processes (one
tesseract each: two cores), `casevault beat`, a PostgreSQL database made for the
run on the local server, and a Redis server of the script's own (append-only
file on, as deploy/compose.yaml runs it), so the fault run can restart it.

Each client is an officer with a case of their own uploading one-page scans
(A4, 300 dpi, speckled, JPEG in PDF; each file unique) one after another. Two runs:

  clean   the load alone;
  faults  the same load; after a quarter of the uploads Redis is stopped for a
          few seconds and started again (uploads keep coming); once half the
          documents are ready, one worker is killed (SIGKILL to its whole
          process group, as when its machine dies) and not restarted.

Nothing may be lost: every accepted upload (202) must end `ready`, or `failed`
with a reason, before the deadline. Measured: upload-accept latency (client
side, p50/p95/max), pages per second from the first upload to the last page
ready, and what was refused. Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pikepdf
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import jpeg_pdf, scanned_page
from storage import free_port

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Role
from casevault.core.settings import load_settings
from casevault.core.users import create_user

POSTGRES = os.environ.get("CASEVAULT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STALL_SECONDS = 20  # CASEVAULT_OCR_STALL_SECONDS: how soon a dead worker's scan is handed on
DISTINCT_PAGES = 20  # scans rendered; each upload wraps one in a PDF of its own


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.2)


# --- the corpus ---------------------------------------------------------------------------


def make_uploads(root: Path, count: int) -> list[Path]:
    """``count`` one-page scanned PDFs, all different files (a repeat would be deduplicated)."""
    rng = random.Random(20261124)
    pages = [scanned_page(rng, root / f"page-{n:02d}.jpg").jpeg for n in range(min(count, DISTINCT_PAGES))]
    uploads = []
    for n in range(count):
        plain = root / "plain.pdf"
        jpeg_pdf([pages[n % len(pages)]], plain)
        with pikepdf.open(plain) as pdf:
            pdf.docinfo["/Title"] = f"load upload {n}"
            pdf.save(root / f"upload-{n:04d}.pdf")
        uploads.append(root / f"upload-{n:04d}.pdf")
    return uploads


# --- the service ----------------------------------------------------------------------------


class Stack:
    """PostgreSQL database, Redis, the API, two workers and beat, as an operator runs them."""

    def __init__(self, root: Path, officers: int) -> None:
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        self.database = f"casevault_load_{secrets.token_hex(4)}"
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
        self.processes: dict[str, subprocess.Popen] = {}
        self.redis: subprocess.Popen | None = None
        self.container: Services | None = None
        try:
            self._start_all(officers)
        except BaseException:
            self.close()  # a part that would not start: leave no process or database behind
            raise

    def _start_all(self, officers: int) -> None:
        root = self.root
        self.redis_port, self.api_port = free_port(), free_port()
        self.redis_dir = root / "redis"
        self.redis_dir.mkdir()
        self.redis = self._start_redis()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CASEVAULT_")},
            "CASEVAULT_DATA_DIR": str(root / "var"),
            "CASEVAULT_DATABASE_URL": sa.make_url(POSTGRES)
            .set(database=self.database)
            .render_as_string(hide_password=False),
            "CASEVAULT_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CASEVAULT_PORT": str(self.api_port),
            "CASEVAULT_OCR_JOBS": "1",
            "CASEVAULT_OCR_STALL_SECONDS": str(STALL_SECONDS),
            "CASEVAULT_LOG_LEVEL": "INFO",
        }
        subprocess.run([sys.executable, "-m", "casevault", "init"], env=self.env, check=True, capture_output=True)
        self.container = Services(
            load_settings(
                **{k.removeprefix("CASEVAULT_").lower(): v for k, v in self.env.items() if k.startswith("CASEVAULT_")}
            )
        )
        with transaction(self.container.new_session) as session:
            self.tokens = [
                create_user(session, username=f"officer{n}", role=Role.officer, clock=self.container.clock)[1]
                for n in range(officers)
            ]
        self._start("api", ["api"], ready=lambda: self._answers("/healthz"))
        for name in ("worker-1", "worker-2"):
            self._start(
                name,
                ["worker", "--concurrency=1"],
                ready=lambda n=name: b" ready." in (self.logs / f"{n}.log").read_bytes(),
            )
        self._start("beat", ["beat"], ready=lambda: (self.logs / "beat.log").stat().st_size > 0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _answers(self, path: str) -> bool:
        try:
            return httpx.get(self.url + path, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _start(self, name: str, args: list[str], ready) -> None:
        with (self.logs / f"{name}.log").open("ab") as sink:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "casevault", *args],
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(lambda: ready() or self.processes[name].poll() is not None, 90, f"{name} ready")
        if self.processes[name].poll() is not None:
            raise RuntimeError(f"{name} exited: {(self.logs / f'{name}.log').read_text()[-2000:]}")

    def _start_redis(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.redis_dir),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=(self.root / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _connects(self.redis_port), 30, "redis ready")
        return process

    def restart_broker(self, down_for: float) -> None:
        self.redis.terminate()  # a clean stop: Redis writes its append-only file
        self.redis.wait(timeout=30)
        time.sleep(down_for)
        self.redis = self._start_redis()

    def kill_worker(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def documents(self) -> list[tuple[int, str, str | None, int, datetime.datetime]]:
        with self.container.engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT id, status, failure_reason, page_count, updated_at FROM document")
            ).all()

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=30)
        if self.container is not None:
            self.container.close()
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin.dispose()


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    accepted: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, every answered upload
    refused: dict[str, int] = field(default_factory=dict)  # HTTP status or error -> count
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, seconds: float, *, document_id: int | None = None, refusal: str = "") -> None:
        with self.lock:
            self.latencies.append(seconds)
            if document_id is not None:
                self.accepted.append(document_id)
            else:
                self.refused[refusal] = self.refused.get(refusal, 0) + 1


def client(stack: Stack, token: str, uploads: list[Path], outcome: Outcome) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=stack.url, headers=headers, timeout=120) as http:
        person = http.post(
            "/api/v1/people",
            json={
                "full_name": "Load Test Person",
                "date_of_birth": "2012-01-01",
                "consent": {"given_by": "young_person", "how": "verbal"},
            },
        ).json()
        case = http.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"},
        ).json()
        for path in uploads:
            started = time.perf_counter()
            try:
                with path.open("rb") as body:
                    answer = http.post(
                        f"/api/v1/cases/{case['id']}/documents",
                        files={"file": (path.name, body)},
                        data={"correspondence_date": "2026-10-01", "provided_by": "school"},
                    )
            except httpx.HTTPError as error:
                outcome.answered(time.perf_counter() - started, refusal=type(error).__name__)
                continue
            if answer.status_code == 202:
                outcome.answered(time.perf_counter() - started, document_id=answer.json()["id"])
            else:
                outcome.answered(time.perf_counter() - started, refusal=str(answer.status_code))


@dataclass
class Run:
    name: str
    faults: list[str]
    outcome: Outcome
    started: datetime.datetime
    uploads_seconds: float
    ready: int
    failed_with_reason: int
    lost: int
    pages: int
    last_ready: datetime.datetime | None

    @property
    def pages_per_second(self) -> float:
        if self.last_ready is None:
            return 0.0
        return self.pages / (self.last_ready - self.started).total_seconds()


def run(name: str, root: Path, uploads: list[Path], clients: int, faults: bool) -> Run:
    stack = Stack(root / name, officers=clients)
    outcome, injected = Outcome(), []
    try:
        shares = [uploads[n::clients] for n in range(clients)]
        started = datetime.datetime.now(datetime.UTC)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients + 1) as pool:
            injector = pool.submit(inject_faults, stack, outcome, len(uploads), injected) if faults else None
            for future in [pool.submit(client, stack, stack.tokens[n], shares[n], outcome) for n in range(clients)]:
                future.result()
            uploads_seconds = time.perf_counter() - t0
            if injector is not None:
                injector.result()
        deadline = max(900, 6 * len(uploads))
        finished = lambda: all(status in ("ready", "failed") for _, status, *_ in stack.documents())  # noqa: E731
        try:
            wait_until(finished, deadline, "every accepted upload ready or failed")
        except RuntimeError as timeout:
            print(f"{name}: {timeout}", file=sys.stderr)
        rows = {row[0]: row for row in stack.documents()}
        accepted = set(outcome.accepted)
        ready = [rows[i] for i in accepted if i in rows and rows[i][1] == "ready"]
        failed = [rows[i] for i in accepted if i in rows and rows[i][1] == "failed" and rows[i][2]]
        return Run(
            name,
            injected,
            outcome,
            started,
            uploads_seconds,
            len(ready),
            len(failed),
            lost=len(accepted) - len(ready) - len(failed),
            pages=sum(row[3] for row in ready),
            last_ready=max((row[4] for row in ready), default=None),
        )
    finally:
        stack.close()


def inject_faults(stack: Stack, outcome: Outcome, total: int, injected: list[str]) -> None:
    wait_until(lambda: len(outcome.latencies) >= total // 4, 3600, "a quarter of the uploads")
    stack.restart_broker(down_for=5)
    injected.append(f"Redis stopped for 5 s after {total // 4} uploads")
    ready = lambda: sum(status == "ready" for _, status, *_ in stack.documents())  # noqa: E731
    wait_until(lambda: ready() >= total // 2, 3600, "half of the documents ready")
    stack.kill_worker("worker-2")
    injected.append(
        f"worker-2 killed (SIGKILL, whole process group) mid-OCR once {total // 2} documents were ready, not restarted"
    )


# --- the report -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def table(runs: list[Run], clients: int) -> str:
    lines = [
        "| run | uploads accepted | refused | accept p50 ms | accept p95 ms | accept max ms | ready | failed (with reason) | lost | pages/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        o = r.outcome
        refused = sum(o.refused.values())
        lines.append(
            f"| {r.name} | {len(o.accepted)} | {refused}{' ' + str(o.refused) if refused else ''} | "
            f"{percentile(o.latencies, 50) * 1000:.0f} | {percentile(o.latencies, 95) * 1000:.0f} | {max(o.latencies) * 1000:.0f} | "
            f"{r.ready} | {r.failed_with_reason} | **{r.lost}** | {r.pages_per_second:.2f} |"
        )
    notes = [
        f"- {r.name}: uploads took {r.uploads_seconds:.0f} s; faults: {'; '.join(r.faults) or 'none'}" for r in runs
    ]
    return "\n".join(lines + [""] + notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--only", choices=["clean", "faults"])
    parser.add_argument("--keep", type=Path, help="keep logs and data here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `timeout` or kill still runs the clean-up
    if not shutil.which("redis-server"):
        sys.exit("benchmarks/load.py needs redis-server on PATH (it runs its own, to restart it)")
    root = args.keep or Path(tempfile.mkdtemp(prefix="casevault-load-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        uploads = make_uploads(root, args.documents)
        load_before = os.getloadavg()[0]
        runs = [
            run(name, root, uploads, args.clients, faults=name == "faults")
            for name in ("clean", "faults")
            if args.only in (None, name)
        ]
        tesseract = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(
            f"{datetime.date.today()}, {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
            f"{tesseract}; {args.clients} clients, {args.documents} one-page scans; PostgreSQL, Redis (AOF), "
            f"1 API process, 2 workers x 1 tesseract, beat; ocr_stall_seconds={STALL_SECONDS}; load average before: {load_before:.1f}\n"
        )
        print(table(runs, args.clients))
        if any(r.lost for r in runs):
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
