"""Private scratch directories for work on plaintext: an upload's body, a decrypted
original, page images, OCR text.

Each call works in a directory of its own, ``<base>/<kind>-<host>-<pid>-<random>``
(mode 0700), removed when the work ends, whatever way it ends. A process killed
mid-work cannot remove its own: the name says which host and process made it, so
the next start on that host removes what dead processes left (``remove_stale``),
and anything a day old from any host sharing the volume.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

ABANDONED_AFTER = dt.timedelta(days=1)  # no live work lasts this long, on any host
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")


def _host() -> str:
    # Hyphens are the separator in scratch names; a host name's own are replaced.
    return _UNSAFE.sub("_", socket.gethostname()) or "host"


def make_private_dir(base: Path, kind: str) -> Path:
    """A new empty directory only this process's user can read. The caller removes it (``remove``)."""
    if not kind.isalnum():
        raise ValueError("a scratch kind is letters and digits only")
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = base / f"{kind}-{_host()}-{os.getpid()}-{secrets.token_hex(8)}"
    path.mkdir(mode=0o700)
    return path


def remove(path: Path) -> None:
    """Remove a scratch directory or file and everything in it; gone already is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def private_dir(base: Path, kind: str) -> Iterator[Path]:
    """A private directory for one call's work, removed on success, failure or cancellation."""
    path = make_private_dir(base, kind)
    try:
        yield path
    finally:
        remove(path)


def _owner(name: str) -> tuple[str, int] | None:
    """The host and process id a scratch name says made it, or None for a name not ours."""
    prefix, _, rest = name.partition("-")
    parts = rest.rsplit("-", 2)
    if not prefix or len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _age(path: Path, now: float) -> dt.timedelta:
    try:
        return dt.timedelta(seconds=now - path.lstat().st_mtime)
    except FileNotFoundError:
        return dt.timedelta(0)


def remove_stale(base: Path) -> list[Path]:
    """Remove scratch that processes of this host left when they died, and anything
    older than a day from any host. Live processes' scratch is kept. Returns what went."""
    if not base.is_dir():
        return []
    host, now, removed = _host(), time.time(), []
    for entry in base.iterdir():
        owner = _owner(entry.name)
        dead_here = owner is not None and owner[0] == host and owner[1] != os.getpid() and not _alive(owner[1])
        if dead_here or _age(entry, now) > ABANDONED_AFTER:
            remove(entry)
            removed.append(entry)
    if removed:
        # Counts only: scratch names carry no personal data, but there is nothing more to say.
        log.warning("removed %d scratch entries left by processes that died mid-work", len(removed))
    return removed


def stale(base: Path, *, older_than: dt.timedelta) -> list[Path]:
    """Scratch entries older than ``older_than``: left by a process killed mid-work."""
    if not base.is_dir():
        return []
    now = time.time()
    return sorted(entry for entry in base.iterdir() if _age(entry, now) > older_than)
