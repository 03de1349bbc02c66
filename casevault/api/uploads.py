"""Receiving a multipart upload as a stream, under a size cap.

The file part goes straight to a file in a private scratch directory of its own
under the data directory (never /tmp, never memory), counted as it arrives: past
the cap the upload stops with 413 and the directory is removed. The caller removes
it after acceptance (``discard``), whatever the outcome. Form fields are small and kept
in memory with a cap of their own.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from casevault.core import scratch
from casevault.core.errors import InvalidInput, PayloadTooLarge

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # declared for type checkers only

FIELD_LIMIT = 1024  # bytes in one form field
HEADER_LIMIT = 16 * 1024  # all part headers together


@dataclasses.dataclass
class ReceivedUpload:
    path: Path
    filename: str
    fields: dict[str, str]

    def discard(self) -> None:
        """Remove the upload's scratch directory (the body and anything made beside it)."""
        scratch.remove(self.path.parent)


class _Parts:
    """MultipartParser callbacks: one file part to disk, other fields in memory."""

    def __init__(self, *, directory: Path, file_field: str, max_bytes: int) -> None:
        self.directory, self.file_field, self.max_bytes = directory, file_field, max_bytes
        self.fields: dict[str, str] = {}
        self.file: BinaryIO | None = None
        self.filename = ""
        self.file_bytes = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_field = self._header_value = b""
        self._header_bytes = 0
        self._name = ""
        self._buffer = bytearray()
        self._writing_file = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: self._header(data[start:end], field=True),
            "on_header_value": lambda data, start, end: self._header(data[start:end], field=False),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers, self._buffer, self._writing_file = {}, bytearray(), False

    def _header(self, data: bytes, *, field: bool) -> None:
        self._header_bytes += len(data)
        if self._header_bytes > HEADER_LIMIT:
            raise InvalidInput("the upload's part headers are too large")
        if field:
            self._header_field += data
        else:
            self._header_value += data

    def header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._name == self.file_field:
            if self.file is not None:
                raise InvalidInput(f"send one file per upload in the '{self.file_field}' field")
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self.file = (self.directory / "body").open("xb")
            self._writing_file = True

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writing_file:
            self.file_bytes += end - start
            if self.file_bytes > self.max_bytes:
                raise PayloadTooLarge(
                    f"the document is larger than {self.max_bytes // (1024 * 1024)} MiB;"
                    " split it or ask an admin to raise CASEVAULT_MAX_UPLOAD_MB"
                )
            self.file.write(data[start:end])  # type: ignore[union-attr]  # open while a file part is written
            return
        self._buffer += data[start:end]
        if len(self._buffer) > FIELD_LIMIT:
            raise InvalidInput(f"form field '{self._name}' is longer than {FIELD_LIMIT} bytes")

    def part_end(self) -> None:
        if not self._writing_file:
            if self._name in self.fields:  # which of two dates is meant? ask, never guess
                raise InvalidInput(f"form field '{self._name}' was sent twice; send it once", field=self._name)
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")

    def close(self) -> Path | None:
        if self.file is None:
            return None
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return self.directory / "body"


async def receive_upload(
    request: Request, *, directory: Path, max_bytes: int, file_field: str = "file"
) -> ReceivedUpload:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidInput(f"send the document as multipart/form-data with a '{file_field}' field")
    private = scratch.make_private_dir(directory, "upload")
    parts = _Parts(directory=private, file_field=file_field, max_bytes=max_bytes)
    parser = MultipartParser(options[b"boundary"], parts.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        path = parts.close()
    except MultipartParseError:  # not multipart as sent by a client library: its body or a part's headers
        _abandon(parts, private)
        raise InvalidInput(
            f"the upload is not well-formed multipart/form-data (a part's headers are malformed or longer than"
            f" 4 KiB, or a boundary is missing); send the document as the '{file_field}' field of a multipart form"
        ) from None
    except BaseException:  # a refusal, a timeout, or the client gone (cancellation)
        _abandon(parts, private)
        raise
    if path is None:
        scratch.remove(private)
        raise InvalidInput(
            f"the upload has no '{file_field}' field; attach the document as '{file_field}'", field=file_field
        )
    return ReceivedUpload(path=path, filename=parts.filename, fields=parts.fields)


def _abandon(parts: _Parts, private: Path) -> None:
    if parts.file is not None:
        parts.file.close()
    scratch.remove(private)
