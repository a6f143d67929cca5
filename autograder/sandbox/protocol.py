"""Messages across the trust boundary: a JSON header plus named numeric arrays, nothing executable.

Frame: 8-byte big-endian header length, UTF-8 JSON header, 8-byte payload length, and an `.npz`
payload (possibly empty). Arrays are read with `allow_pickle=False` and must have a numeric or
boolean dtype, so a hostile child can send wrong numbers but never code or objects.
"""

from __future__ import annotations

import io
import json
import struct
import threading
from typing import Any, BinaryIO

import numpy as np

_LENGTH = struct.Struct(">Q")
ALLOWED_KINDS = frozenset("biufc")  # bool, signed, unsigned, float, complex


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message within the limits."""


def encode(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bytes:
    head = json.dumps(header, allow_nan=True).encode("utf-8")
    payload = encode_arrays(arrays or {})
    return _LENGTH.pack(len(head)) + head + _LENGTH.pack(len(payload)) + payload


def encode_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    if not arrays:
        return b""
    buffer = io.BytesIO()
    np.savez(buffer, **{key: np.asarray(value, order="C") for key, value in arrays.items()})
    return buffer.getvalue()


def write_message(
    stream: BinaryIO, header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None
) -> None:
    data = memoryview(encode(header, arrays))
    while data:  # an unbuffered pipe may take a large message in several writes
        data = data[stream.write(data) or 0 :]
    stream.flush()


#: One decoding at a time per process: numpy parses each array's header with ast, and CPython
#: 3.11's AST state is shared by the interpreter's threads (gh-106905); calibration decodes the
#: answers of several children in threads of one process.
_DECODING = threading.Lock()


def read_message(
    stream: BinaryIO, max_bytes: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    """The next message, or None at a clean end of stream; ProtocolError for anything else."""
    frame = read_frame(stream, max_bytes)
    return None if frame is None else (frame[0], decode_arrays(frame[1]))


def read_frame(stream: BinaryIO, max_bytes: int) -> tuple[dict[str, Any], bytes] | None:
    """The next message with its arrays still encoded. A reader thread uses this: decoding runs
    numpy's header parser (ast), which must not run beside the grader's own ast.parse calls in
    another thread (CPython 3.11's AST state is per interpreter: gh-106905)."""
    first = stream.read(_LENGTH.size)
    if not first:
        return None
    head_size = _read_length(first)
    if head_size > max_bytes:
        raise ProtocolError(f"header of {head_size} bytes exceeds the {max_bytes}-byte limit")
    head = _read_exact(stream, head_size)
    payload_size = _read_length(_read_exact(stream, _LENGTH.size))
    if head_size + payload_size > max_bytes:
        raise ProtocolError(f"message of {head_size + payload_size} bytes exceeds the limit")
    payload = _read_exact(stream, payload_size)
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"header is not JSON: {error}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header must be a JSON object")
    return header, payload


def decode_arrays(payload: bytes) -> dict[str, np.ndarray]:
    if not payload:
        return {}
    try:
        with _DECODING, np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except MemoryError:  # the reader's own limit, not the sender's fault
        raise
    except Exception as error:  # any malformed archive is the sender's fault
        raise ProtocolError(f"payload is not a valid array archive: {error}") from None
    for key, value in arrays.items():
        if value.dtype.kind not in ALLOWED_KINDS:
            raise ProtocolError(f"array {key!r} has dtype {value.dtype}, not a number type")
    return arrays


def _read_length(raw: bytes) -> int:
    if len(raw) != _LENGTH.size:
        raise ProtocolError("stream ended inside a length field")
    return _LENGTH.unpack(raw)[0]


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise ProtocolError(f"stream ended {left} bytes before the end of a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
