"""Log lines never carry an ID or phone number, whatever logged them."""

from __future__ import annotations

import io
import logging

import pytest

from eldercare.core.logscrub import scrub
from eldercare.elders import idnumber

NUMBER = idnumber.build("330102", __import__("datetime").date(1940, 5, 17), 13)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f'"GET /api/elders/?q={NUMBER} HTTP/1.1" 422', f'"GET /api/elders/?q={NUMBER[:6]}********{NUMBER[-4:]} HTTP/1.1" 422'),
        ("call 13812345678 now", "call 138****5678 now"),
        ("legacy 330102400517123", "legacy 330102*****7123"),
        ("order 12345 and region 330102001001", "order 12345 and region 330102001001"),  # 12 digits: a region code
        ("lowercase x 33010219400517123x", "lowercase x 330102********123x"),
    ],
)
def test_scrub(line, expected):
    assert scrub(line) == expected


@pytest.mark.parametrize("name", ["django.server", "django.request", "eldercare.devices"])
def test_the_configured_handlers_mask(name):
    """Through the handlers the settings configure (the access log of the development server too)."""
    logger = logging.getLogger(name)
    while not logger.handlers and logger.propagate and logger.parent is not None:
        logger = logger.parent
    handlers = [h for h in logger.handlers if type(h) is logging.StreamHandler]  # not pytest's own
    assert handlers
    streams = [handler.setStream(io.StringIO()) for handler in handlers]
    try:
        logging.getLogger(name).error('"%s %s" %s', "GET", f"/console/elders/?q={NUMBER}&phone=13812345678", 200)
        written = "".join(handler.stream.getvalue() for handler in handlers)
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)
    assert NUMBER[:6] + "********" + NUMBER[-4:] in written and "138****5678" in written
    assert NUMBER not in written and "13812345678" not in written
