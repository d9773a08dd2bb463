"""Named errors: a bilingual message that also carries a stable code.

`Err` is a `str` (so it goes wherever a message went: `PermissionDenied(ERR_X)`,
`ValidationError({"field": ERR_X})`, a console message) that remembers its code. The API answers
with the code beside the message (`eldercare.api`), and tests assert codes, not wording.
"""

from __future__ import annotations

from typing import Any


class Err(str):
    code: str

    def __new__(cls, code: str, message: str) -> Err:
        made = super().__new__(cls, message)
        made.code = code
        return made

    def format(self, *args: Any, **kwargs: Any) -> Err:
        return Err(self.code, str.format(self, *args, **kwargs))

    def __mod__(self, values: Any) -> Err:
        return Err(self.code, str.__mod__(self, values))

    def __getitem__(self, key: Any) -> Any:  # slicing keeps the code: messages are cut to fit fields
        part = str.__getitem__(self, key)
        return Err(self.code, part) if isinstance(key, slice) else part

    def __reduce__(self) -> tuple[Any, ...]:
        return (Err, (self.code, str(self)))


def code_of(message: object, default: str) -> str:
    """The code a message carries, or `default` for a plain string."""
    return message.code if isinstance(message, Err) else default


class Conflict(Exception):
    """A request that contradicts a record that exists (the same guide price twice, a provider
    registered again): the API answers 409 with the code of the `Err` it carries."""

    def __init__(self, message: Err) -> None:
        super().__init__(message)
        self.message = message
