import pytest

from eldercare.providers.creditcode import InvalidCreditCode, check_character, normalise

# Codes published by the registrants themselves (business licences shown on their sites).
REAL = ["91350100M000100Y43", "91330100716105852F", "9144030071526726XG", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL)
def test_real_codes_pass(code):
    assert normalise(code) == code
    assert normalise(f" {code.lower()} ") == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9133010071610585", InvalidCreditCode.LENGTH),
        ("91330100716105852I", InvalidCreditCode.CHARACTERS),
        ("91330100716105852G", InvalidCreditCode.CHECK),
    ],
)
def test_mistakes_are_named(code, message):
    with pytest.raises(InvalidCreditCode) as refused:
        normalise(code)
    assert str(refused.value) == message


def test_any_single_character_change_is_caught():
    code = REAL[1]
    for i in range(17):
        for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if replacement != code[i]:
                changed = code[:i] + replacement + code[i + 1 :]
                assert check_character(changed[:17]) != code[17]
