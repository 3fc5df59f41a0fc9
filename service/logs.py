"""What the service writes to its log about requests: the path without its query string.

A search's text (``/web/?q=...``), a partner search's description and the like are what people typed; they may
name people and do not belong in an access log, which is kept longer and read by others than the answers.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class WithoutQuery(logging.Filter):
    """Cuts the query string off the path of uvicorn's access log lines (``GET /web/?… HTTP/1.1`` 200)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


def quiet_access_log() -> None:
    """Put the filter on uvicorn's access logger (once; uvicorn has configured its logging by then)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, WithoutQuery) for f in logger.filters):
        logger.addFilter(WithoutQuery())
