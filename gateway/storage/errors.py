"""What a write response means for the batch: retry it, split it, or count it rejected.

Pure: both transports turn their HTTP answer into one of these exceptions with
``classify_response``, so v1 and v2 targets behave the same way.
"""

from __future__ import annotations

import json
import re


class WriteError(Exception):
    """A write that did not store every line."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RetryableError(WriteError):
    """Nothing (or nothing we can rely on) was stored; the same body must be sent again.

    Network errors, timeouts, 5xx and 429, and also 401/403/404: those concern the whole
    target (credentials, a database or bucket that does not exist), not the data, so the
    batch is held and retried while an operator fixes the configuration rather than thrown
    away. ``retry_after`` is the server's Retry-After in seconds, if it gave one.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class TooLargeError(WriteError):
    """413: the body is too large; halves of it may not be."""


class RejectedError(WriteError):
    """The server refused some or all lines for what they contain (400 partial write, field
    type conflict, unparsable line, 422 outside retention). Sending them again cannot help.

    ``rejected`` is how many lines were not stored; when the server does not say, it is the
    whole request (an upper bound).
    """

    def __init__(self, message: str, *, status: int | None = None, rejected: int) -> None:
        super().__init__(message, status=status)
        self.rejected = rejected


_DROPPED = re.compile(r"dropped=(\d+)")
_WRITTEN = re.compile(r"\((\d+) written\)")  # InfluxDB 2.x: "partial write error (5 written)"


def rejected_lines(message: str, lines: int) -> int:
    """Lines not stored, read from an InfluxDB error message.

    InfluxDB 1.x writes the good lines of a batch and says ``partial write: ... dropped=N``
    for field-type conflicts and retention, but ``dropped=0`` plus one ``unable to parse``
    per bad line for syntax errors. Anything else (no "partial write") stored nothing.
    """
    if "partial write" not in message:
        return lines
    written = _WRITTEN.search(message)
    if written is not None:
        return max(0, lines - int(written.group(1)))
    counted = sum(int(n) for n in _DROPPED.findall(message)) + message.count("unable to parse")
    return min(lines, counted) if counted else lines


def error_message(body: str) -> str:
    """The message in an InfluxDB error body: ``{"error": ...}`` (1.x), ``{"message": ...}``
    (2.x), or the text itself."""
    text = body.strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:2000]
    if isinstance(data, dict):
        for key in ("error", "message"):
            value = data.get(key)
            if isinstance(value, str):
                return value
    return text[:2000]


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds; the HTTP-date form is ignored (our own backoff applies)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def classify_response(
    status: int, body: str, lines: int, *, target: str, retry_after: str | None = None
) -> WriteError | None:
    """None for success, otherwise the error to raise for this answer."""
    if 200 <= status < 300:
        return None
    message = error_message(body)
    where = f"{target}: HTTP {status}: {message}"
    if status == 413:
        return TooLargeError(where, status=status)
    if status in (401, 403, 404, 408, 429) or status >= 500:
        return RetryableError(where, status=status, retry_after=parse_retry_after(retry_after))
    if 400 <= status < 500:
        return RejectedError(where, status=status, rejected=rejected_lines(message, lines))
    # 1xx/3xx: a proxy or redirect we did not follow; treat as the target being unreachable.
    return RetryableError(where, status=status)
