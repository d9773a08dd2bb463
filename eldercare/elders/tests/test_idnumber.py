import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eldercare.elders import idnumber
from eldercare.elders.idnumber import InvalidIdNumber

TODAY = dt.date(2026, 11, 25)


def reason(raw: str) -> str:
    with pytest.raises(InvalidIdNumber) as info:
        idnumber.parse(raw, today=TODAY)
    return info.value.code


def test_the_standards_example_number_parses():
    # GB 11643-1999 gives 11010519491231002X as its worked example.
    parsed = idnumber.parse("11010519491231002X", today=TODAY)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == idnumber.Sex.FEMALE  # sequence 002: even
    assert parsed.address_code == "110105"
    assert parsed.masked == "110105********002X"


def test_male_from_odd_sequence_and_lowercase_x_accepted():
    assert idnumber.parse(idnumber.build("330102", dt.date(1950, 1, 1), 13), today=TODAY).sex == idnumber.Sex.MALE
    assert idnumber.parse("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_full_width_digits_and_spaces_from_spreadsheets_are_normalised():
    assert idnumber.parse(" １１０１０５ 19491231002Ｘ ", today=TODAY).number == "11010519491231002X"


def test_wrong_check_digit_names_the_expected_one():
    with pytest.raises(InvalidIdNumber) as info:
        idnumber.parse("110105194912310021", today=TODAY)
    assert info.value.code == InvalidIdNumber.CHECK_DIGIT
    assert "X" in str(info.value) and "校验码" in str(info.value)


@pytest.mark.parametrize(
    "birth",
    ["19490230", "19491301", "19490001", "19490100", "19230229"],  # 30 Feb, month 13, month 0, day 0, 1923 not leap
)
def test_impossible_birth_dates(birth):
    first17 = f"330102{birth}001"
    assert reason(first17 + idnumber.check_char(first17)) == InvalidIdNumber.DATE


def test_29_february_of_a_leap_year_is_fine():
    assert idnumber.parse(idnumber.build("330102", dt.date(1944, 2, 29), 1), today=TODAY).birth_date == dt.date(1944, 2, 29)


def test_future_and_implausibly_old_birth_dates():
    assert reason(idnumber.build("330102", dt.date(2027, 1, 1), 1)) == InvalidIdNumber.FUTURE
    assert reason(idnumber.build("330102", dt.date(1889, 12, 31), 1)) == InvalidIdNumber.TOO_OLD


def test_legacy_15_digit_numbers_are_rejected_naming_the_18_digit_form():
    with pytest.raises(InvalidIdNumber) as info:
        idnumber.parse("110105491231002", today=TODAY)
    assert info.value.code == InvalidIdNumber.LEGACY_15
    assert "11010519491231002X" in str(info.value)


def test_legacy_conversion_is_explicit_and_correct():
    assert idnumber.upgrade_legacy("110105491231002") == "11010519491231002X"
    with pytest.raises(InvalidIdNumber):
        idnumber.upgrade_legacy("11010549123100")


@pytest.mark.parametrize(
    "raw,code",
    [
        ("", InvalidIdNumber.EMPTY),
        ("   ", InvalidIdNumber.EMPTY),
        ("1101051949123100", InvalidIdNumber.LENGTH),
        ("11010519491231002X1", InvalidIdNumber.LENGTH),
        ("1101051949123100AX", InvalidIdNumber.CHARACTERS),
        ("11010519491231002Y", InvalidIdNumber.CHARACTERS),
        ("99010519491231002X", InvalidIdNumber.PROVINCE),
    ],
)
def test_malformed_numbers(raw, code):
    assert reason(raw) == code


def test_every_message_is_bilingual():
    for message in InvalidIdNumber.MESSAGES.values():
        assert " / " in message


def test_mask_keeps_first_six_and_last_four():
    assert idnumber.mask("330102195403071223") == "330102********1223"
    assert idnumber.mask("12345") == "*****"


births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2000, 12, 31))
counties = st.sampled_from(["330102", "330105", "411302", "110105", "210102"])


@given(county=counties, birth=births, seq=st.integers(0, 999))
def test_built_numbers_round_trip(county, birth, seq):
    parsed = idnumber.parse(idnumber.build(county, birth, seq), today=TODAY)
    assert parsed.birth_date == birth
    assert parsed.sex == (idnumber.Sex.MALE if seq % 2 else idnumber.Sex.FEMALE)


@given(birth=births, seq=st.integers(0, 999), position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_error_is_caught(birth, seq, position, delta):
    number = idnumber.build("330102", birth, seq)
    digit = (int(number[position]) + delta) % 10
    corrupted = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        idnumber.parse(corrupted, today=TODAY)
