"""What each InfluxDB answer means (table), and the rate-limited log."""

from __future__ import annotations

import pytest

from gateway.storage.errors import (
    RejectedError,
    RetryableError,
    TooLargeError,
    WriteError,
    classify_response,
    error_message,
    parse_retry_after,
    rejected_lines,
)

E = '{{"error":"{}"}}'


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "kind", "detail"),
    [
        (204, "", None, None, None),
        (200, "", None, None, None),
        (500, E.format("engine: cache-max-memory-size exceeded"), None, RetryableError, None),
        (503, E.format("busy"), None, RetryableError, None),
        (503, E.format("busy"), "7", RetryableError, 7.0),
        (429, "", "2", RetryableError, 2.0),
        (408, "", None, RetryableError, None),
        (401, E.format("authorization failed"), None, RetryableError, None),
        (403, E.format("forbidden"), None, RetryableError, None),
        (404, E.format('database not found: \\"hazgw\\"'), None, RetryableError, None),
        (302, "", None, RetryableError, None),
        (413, E.format("Request Entity Too Large"), None, TooLargeError, None),
        (400, E.format("partial write: field type conflict: ... dropped=3"), None,
         RejectedError, 3),
        (400, E.format("unable to parse 'm v=': invalid field format"), None, RejectedError, 10),
        (422, E.format("partial write: points beyond retention policy dropped=4"), None,
         RejectedError, 4),
        (400, '{"code":"invalid","message":"partial write error (7 written): x"}', None,
         RejectedError, 3),
        (405, "method not allowed", None, RejectedError, 10),
    ],
)
def test_classify_response(
    status: int, body: str, retry_after: str | None, kind: type[WriteError] | None,
    detail: float | None,
) -> None:
    error = classify_response(status, body, 10, target="influx_v1 x", retry_after=retry_after)
    if kind is None:
        assert error is None
        return
    assert type(error) is kind
    assert error is not None
    assert error.status == status
    assert error.message.startswith(f"influx_v1 x: HTTP {status}")
    if isinstance(error, RetryableError):
        assert error.retry_after == detail
    if isinstance(error, RejectedError):
        assert error.rejected == detail


@pytest.mark.parametrize(
    ("message", "lines", "expected"),
    [
        ("partial write: field type conflict: input field ... dropped=1", 10, 1),
        ("partial write: field type conflict ... dropped=2", 10, 2),
        # InfluxDB 1.6 says dropped=0 for syntax errors but names each unparsable line
        ("partial write: unable to parse 'a': invalid number\nunable to parse 'b': x dropped=0",
         10, 2),
        ("partial write: unable to parse 'a': invalid number dropped=0", 10, 1),
        ("partial write: points beyond retention policy dropped=50", 10, 10),  # clamped
        ("partial write: something new dropped=0", 10, 10),  # unknown: upper bound
        ("partial write error (4 written): bad lines", 10, 6),
        ("unable to parse 'm,t=x 1': invalid field format", 10, 10),
        ("max-values-per-tag limit exceeded", 5, 5),
    ],
)
def test_rejected_lines(message: str, lines: int, expected: int) -> None:
    assert rejected_lines(message, lines) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"error":"database not found"}', "database not found"),
        ('{"code":"invalid","message":"bucket not found"}', "bucket not found"),
        ("plain text\n", "plain text"),
        ("[1, 2]", "[1, 2]"),
        ('{"error": 5}', '{"error": 5}'),
        ("", ""),
    ],
)
def test_error_message(body: str, expected: str) -> None:
    assert error_message(body) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("3", 3.0), (" 0.5 ", 0.5), ("0", 0.0), ("-1", None),
     ("Wed, 21 Oct 2015 07:28:00 GMT", None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected
