"""Why a document could not be made. Apart from ``pdf`` so that the routes and the report
jobs can catch these without importing ReportLab and openpyxl, which the gateway loads only
when a document is first asked for (about 25 MB of memory that most gateways never use)."""

from __future__ import annotations


class FontMissing(RuntimeError):
    """No CJK font: the documents cannot show Chinese."""


class DocumentError(RuntimeError):
    """The document could not be laid out (the message says why)."""
