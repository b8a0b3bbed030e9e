"""A logging filter that masks secrets in every record a handler writes.

The sources already describe targets without credentials (``config.redact``); this is the
net under them, for texts that quote a URL we did not write (a library's exception).
``hazgw run`` installs it on the root handlers before the gateway starts, with the secrets
of the loaded config.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from config.redact import redact_text


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = frozenset(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = redact_text(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.secrets)
        return True


def install_log_redaction(
    secrets: Iterable[str] = (), logger: logging.Logger | None = None
) -> None:
    """Put one ``RedactingFilter`` on each handler of ``logger`` (the root), replacing an
    earlier one."""
    target = logger or logging.getLogger()
    redacting = RedactingFilter(secrets)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
