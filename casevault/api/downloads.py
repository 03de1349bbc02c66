"""Sending a stored document, its first chunk verified before the answer starts.

Each chunk of a stored object is authenticated as it is decrypted. The first is
read before the status line goes out, so a stored copy that fails its check
answers an error in problem+json, never a "200" with no body. A later chunk that
fails ends the connection mid-body: the client sees a transfer cut short (fewer
bytes than Content-Length), never a complete-looking file. Either way an
integrity alert is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

from casevault.archive import Vault
from casevault.core.errors import IntegrityFailure
from casevault.core.models import Tier


def verified_chunks(
    vault: Vault, *, subject: str, object_key: str, tier: Tier, on_failure: Callable[[IntegrityFailure], None]
) -> VerifiedChunks:
    """The object's plaintext chunks, the first already read and verified: raises
    ``IntegrityFailure`` now if it fails, and while iterating if a later one does."""
    stack = ExitStack()
    try:
        chunks = stack.enter_context(vault.open(subject=subject, object_key=object_key, tier=tier))
        first = next(chunks, b"")
    except IntegrityFailure as failure:
        stack.close()
        on_failure(failure)
        raise
    except BaseException:
        stack.close()
        raise
    return VerifiedChunks(first, chunks, stack, on_failure)


class VerifiedChunks:
    """Iterate once to send; ``close`` if it will never be sent. The stored object is
    closed however the response ends, a client hanging up included."""

    def __init__(
        self, first: bytes, rest: Iterator[bytes], stack: ExitStack, on_failure: Callable[[IntegrityFailure], None]
    ) -> None:
        self._first, self._rest, self._stack, self._on_failure = first, rest, stack, on_failure

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield self._first
            yield from self._rest
        except IntegrityFailure as failure:
            self._on_failure(failure)
            raise  # the server drops the connection: the body stays short of its Content-Length
        finally:
            self.close()

    def close(self) -> None:
        self._stack.close()
