"""Chinese resident identity numbers, GB 11643-1999 (公民身份号码).

18 characters: a 6-digit address code (GB/T 2260), an 8-digit birth date
YYYYMMDD, a 3-digit sequence (odd for men, even for women) and a check
character computed with ISO 7064 MOD 11-2 (0-9 or X).

15-digit numbers issued before 1999 are never accepted silently: they are
rejected with the 18-digit form named, and `upgrade_legacy` converts one
explicitly (the century is 19, the check character is computed).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from eldercare.core.errors import Err

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # index: weighted sum mod 11

# First two digits of GB/T 2260 address codes: provinces, plus 71 Taiwan,
# 81/82/83 Hong Kong, Macao, Taiwan residence permits.
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
EARLIEST_BIRTH = dt.date(1890, 1, 1)


class Sex:
    MALE = "M"
    FEMALE = "F"


class InvalidIdNumber(ValueError):
    """An ID number that cannot be accepted; `code` names the reason."""

    EMPTY = "empty"
    LENGTH = "length"
    CHARACTERS = "characters"
    LEGACY_15 = "legacy_15"
    PROVINCE = "province"
    DATE = "date"
    FUTURE = "future"
    TOO_OLD = "too_old"
    CHECK_DIGIT = "check_digit"

    MESSAGES = {
        EMPTY: "身份证号码不能为空 / the ID number is empty",
        LENGTH: "身份证号码应为18位，当前为{length}位 / an ID number has 18 characters, this one has {length}",
        CHARACTERS: "身份证号码前17位须为数字，末位为数字或X / the first 17 characters must be digits, the last a digit or X",
        LEGACY_15: "这是15位旧号码，请使用18位号码（换算为 {upgraded}） / this is a legacy 15-digit number; use the 18-digit form {upgraded}",
        PROVINCE: "地址码开头“{province}”不是有效的省级代码 / '{province}' is not a valid province code",
        DATE: "出生日期“{date}”不存在 / the birth date '{date}' does not exist",
        FUTURE: "出生日期“{date}”晚于今天 / the birth date '{date}' is in the future",
        TOO_OLD: "出生日期“{date}”早于1890年 / the birth date '{date}' is before 1890",
        CHECK_DIGIT: "校验码错误：末位应为“{expected}”，实为“{actual}” / wrong check character: expected {expected}, got {actual}",
    }

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.MESSAGES[code].format(**params))

    @property
    def error(self) -> Err:
        """The message with a stable code (`idnumber.check_digit` …) for pages and the API."""
        return Err(f"idnumber.{self.code}", str(self))


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: dt.date
    sex: str
    address_code: str

    @property
    def masked(self) -> str:
        return mask(self.number)


def normalise(raw: str) -> str:
    """Full-width digits and letters (common in spreadsheets) become ASCII; spaces go."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


PERSONAL_DIGITS = 6  # a run this long may be part of an ID or phone number


def looks_personal(text: str) -> bool:
    """Whether a search text holds an ID or phone number, or part of one (a run of six or more
    digits): such text is searched by POST and never put in a URL, where access logs keep it."""
    run = 0
    for char in normalise(text):
        run = run + 1 if char.isdigit() else 0
        if run >= PERSONAL_DIGITS:
            return True
    return False


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_legacy(number15: str) -> str:
    """Convert a 15-digit (pre-1999) number to its 18-digit form, explicitly."""
    number15 = normalise(number15)
    if len(number15) != 15 or not number15.isdigit():
        raise InvalidIdNumber(InvalidIdNumber.LENGTH, length=len(number15))
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


def _birth_date(text: str) -> dt.date:
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise InvalidIdNumber(InvalidIdNumber.DATE, date=f"{text[:4]}-{text[4:6]}-{text[6:8]}") from None


def parse(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate an 18-digit ID number and derive birth date, sex and address code."""
    number = normalise(raw)
    if not number:
        raise InvalidIdNumber(InvalidIdNumber.EMPTY)
    if len(number) == 15 and number.isdigit():
        raise InvalidIdNumber(InvalidIdNumber.LEGACY_15, upgraded=upgrade_legacy(number))
    if len(number) != 18:
        raise InvalidIdNumber(InvalidIdNumber.LENGTH, length=len(number))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber(InvalidIdNumber.CHARACTERS)
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(InvalidIdNumber.PROVINCE, province=number[:2])
    birth = _birth_date(number[6:14])
    today = today or dt.date.today()
    if birth > today:
        raise InvalidIdNumber(InvalidIdNumber.FUTURE, date=birth.isoformat())
    if birth < EARLIEST_BIRTH:
        raise InvalidIdNumber(InvalidIdNumber.TOO_OLD, date=birth.isoformat())
    expected = check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(InvalidIdNumber.CHECK_DIGIT, expected=expected, actual=number[17])
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return IdNumber(number=number, birth_date=birth, sex=sex, address_code=number[:6])


def mask(number: str) -> str:
    """Keep the first 6 and last 4 characters: 330102********123X."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def build(address_code: str, birth: dt.date, sequence: int) -> str:
    """A valid 18-digit number (for demo data and tests): sequence 0-999, odd = male."""
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
