"""Storage benchmark (issue 3): encrypt-and-put and get-and-decrypt throughput for 1 MB
and 100 MB objects on the filesystem and S3 backends, peak memory above baseline, and
our encryption beside `openssl speed -evp aes-256-gcm`.

    .venv/bin/python benchmarks/storage.py

S3 is a moto server this script starts in a subprocess on a free loopback port (so its
memory is not counted as ours). Everything runs in a temporary directory and takes about
a minute. Goals: encryption >= 50% of OpenSSL's figure; peak memory for a 100 MB object
< 64 MB above the baseline.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from casevault.app.parts import (
    build_vault,
    init_storage,
)
from casevault.archive import LifecycleTags, Vault
from casevault.archive.envelope import ChunkSealer, encrypt_stream
from casevault.core.clock import SystemClock
from casevault.core.db import make_engine, session_factory
from casevault.core.migrate import upgrade
from casevault.core.models import Tier, new_pseudonym
from casevault.core.settings import Settings, load_settings

MB = 1_000_000
MIB = 1024 * 1024
SIZES = [1 * MB, 100 * MB]
MEMORY_GOAL = 64 * MIB
OPENSSL_SHARE_GOAL = 0.5
TAGS = LifecycleTags(tier=Tier.active, retention_class="bench", schedule_version="bench")


@dataclass(frozen=True)
class Run:
    backend: str
    size: int
    put_seconds: float
    get_seconds: float
    put_peak_rss: int
    get_peak_rss: int
    put_peak_python: int
    get_peak_python: int


# --- memory: tracemalloc for Python objects, VmHWM for everything (OpenSSL buffers too) ---


def _proc_status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM to VmRSS
        return True
    except OSError:
        return False


@dataclass
class Measured:
    seconds: float = 0.0
    peak_rss_above_baseline: int = 0
    peak_python: int = 0


@contextmanager
def measured() -> Iterator[Measured]:
    result = Measured()
    _reset_peak_rss()
    baseline = _proc_status("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - started
        result.peak_python = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result.peak_rss_above_baseline = max(0, _proc_status("VmHWM") - baseline)


# --- backends -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_vault(settings: Settings) -> Vault:
    settings.data_dir.mkdir(parents=True, mode=0o700)
    upgrade(settings.database_url)
    init_storage(settings)
    return build_vault(settings, new_session=session_factory(make_engine(settings.database_url)), clock=SystemClock())


def bench_backend(name: str, settings: Settings, workdir: Path) -> list[Run]:
    vault = make_vault(settings)
    warm_up = workdir / "warm-up"
    warm_up.write_bytes(os.urandom(64 * 1024))
    runs = []
    for size in SIZES:
        source = workdir / f"plain-{size}"
        with source.open("wb") as handle:
            for offset in range(0, size, MIB):
                handle.write(os.urandom(min(MIB, size - offset)))
        subject = new_pseudonym()
        vault.put(subject=subject, source=warm_up, tier=Tier.active, tags=TAGS)  # creates the key: not timed
        with measured() as put_cost:
            put = vault.put(subject=subject, source=source, tier=Tier.active, tags=TAGS)
        with measured() as get_cost:
            vault.read_to(subject=subject, object_key=put.object_key, tier=Tier.active, dest=workdir / "out")
        runs.append(
            Run(name, size, put_cost.seconds, get_cost.seconds, put_cost.peak_rss_above_baseline,
                get_cost.peak_rss_above_baseline, put_cost.peak_python, get_cost.peak_python)
        )  # fmt: skip
        source.unlink()
        vault.delete_everywhere([put.object_key])
    return runs


# --- raw encryption beside OpenSSL ----------------------------------------------------


def openssl_aes_gcm_bytes_per_second() -> tuple[float, str]:
    output = subprocess.run(
        ["openssl", "speed", "-seconds", "2", "-evp", "aes-256-gcm"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    header = next(line for line in output.splitlines() if line.startswith("type"))
    row = next(line for line in output.splitlines() if line.lower().startswith("aes-256-gcm"))
    blocks = re.findall(r"(\d+) bytes", header)
    figures = [float(v.rstrip("k")) * 1000 for v in row.split()[1:]]
    return figures[-1], f"{blocks[-1]}-byte blocks"  # the largest block size


def best_of(repeats: int, work: Callable[[], int]) -> float:
    """Bytes per second of the fastest of a few runs (the machine is shared)."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        done = work()
        best = max(best, done / (time.perf_counter() - started))
    return best


def our_encryption_bytes_per_second() -> tuple[float, float]:
    """(sealing 1 MiB chunks as the format does, encrypt_stream incl. sha256 of plaintext)."""
    data = os.urandom(64 * MIB)
    key = os.urandom(32)
    chunks = [data[i : i + MIB] for i in range(0, len(data), MIB)]

    def seal_all() -> int:
        sealer = ChunkSealer(data_key=key, object_key="0" * 32, chunk_size=MIB)
        for index, chunk in enumerate(chunks):
            sealer.seal(chunk, index=index, last=index == len(chunks) - 1)
        return len(data)

    class Discard(io.RawIOBase):
        def write(self, block: bytes) -> int:
            return len(block)

    def whole_stream() -> int:
        encrypt_stream(source=io.BytesIO(data), sink=Discard(), data_key=key, object_key="0" * 32, chunk_size=MIB)
        return len(data)

    return best_of(3, seal_all), best_of(3, whole_stream)


# --- report ---------------------------------------------------------------------------


def _mb_s(size: int, seconds: float) -> str:
    return f"{size / MB / seconds:,.0f}"


def _mib(n: int) -> str:
    return f"{n / MIB:,.1f}"


def render(runs: list[Run], openssl: tuple[float, str], ours: tuple[float, float]) -> str:
    lines = [
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; 1 MiB chunks; S3 = moto server on loopback (own process).",
        "",
        "| backend | object | encrypt+put MB/s | get+decrypt MB/s | peak RSS above baseline, put / get (MiB) | peak Python heap, put / get (MiB) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        lines.append(
            f"| {run.backend} | {run.size // MB} MB | {_mb_s(run.size, run.put_seconds)} | {_mb_s(run.size, run.get_seconds)} "
            f"| {_mib(run.put_peak_rss)} / {_mib(run.get_peak_rss)} | {_mib(run.put_peak_python)} / {_mib(run.get_peak_python)} |"
        )
    openssl_rate, block = openssl
    sealing, streaming = ours
    lines += [
        "",
        "| encryption | MB/s | share of OpenSSL |",
        "| --- | ---: | ---: |",
        f"| `openssl speed -evp aes-256-gcm` ({block}) | {openssl_rate / MB:,.0f} | 100% |",
        f"| ours: AES-256-GCM sealing of 1 MiB chunks (format framing, nonces, AAD) | {sealing / MB:,.0f} | {sealing / openssl_rate:.0%} |",
        f"| ours: whole `encrypt_stream` incl. sha256 of the plaintext, in memory | {streaming / MB:,.0f} | {streaming / openssl_rate:.0%} |",
        "",
    ]
    worst_100 = max(
        max(r.put_peak_rss, r.get_peak_rss, r.put_peak_python, r.get_peak_python) for r in runs if r.size == 100 * MB
    )
    lines.append(
        f"- Goal: encryption >= {OPENSSL_SHARE_GOAL:.0%} of OpenSSL: "
        f"**{'met' if sealing >= OPENSSL_SHARE_GOAL * openssl_rate else 'NOT met'}** "
        f"({sealing / openssl_rate:.0%}; with fixity hashing {streaming / openssl_rate:.0%})"
    )
    lines.append(
        f"- Goal: peak memory for a 100 MB object < {MEMORY_GOAL // MIB} MiB above baseline: "
        f"**{'met' if worst_100 < MEMORY_GOAL else 'NOT met'}** (worst {_mib(worst_100)} MiB)"
    )
    return "\n".join(lines)


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="casevault-bench-"))
    try:
        openssl = openssl_aes_gcm_bytes_per_second()
        ours = our_encryption_bytes_per_second()
        runs = bench_backend("filesystem", load_settings(data_dir=workdir / "fs"), workdir)
        with moto_server() as endpoint:
            s3 = load_settings(
                data_dir=workdir / "s3", storage_url="s3://", s3_endpoint_url=endpoint, s3_addressing_style="path",
                s3_access_key_id="bench", s3_secret_access_key="bench",
                s3_active_bucket="bench-active", s3_archive_bucket="bench-archive",
            )  # fmt: skip
            runs += bench_backend("s3 (moto)", s3, workdir)
        print(render(runs, openssl, ours))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
