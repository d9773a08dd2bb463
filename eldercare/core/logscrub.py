"""A logging filter that masks ID and phone numbers in every log line: the second line of defence
behind keeping them out of URLs (access logs print the request line) and out of messages.

An 18-character ID number (17 digits and a digit or X) keeps its first 6 and last 4 characters, as
the registry's masked form does; an 11-digit mainland mobile number keeps its first 3 and last 4.
"""

from __future__ import annotations

import logging
import re

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_LEGACY_ID = re.compile(r"(?<!\d)(\d{6})\d{5}(\d{4})(?!\d)")  # 15 digits, issued before 1999
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def scrub(text: str) -> str:
    text = _ID.sub(r"\1********\2", text)
    text = _LEGACY_ID.sub(r"\1*****\2", text)
    return _MOBILE.sub(r"\1****\2", text)


class ScrubPersonalData(logging.Filter):
    """Rewrites the record's message with ID and phone numbers masked (arguments merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
