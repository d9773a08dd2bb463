"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters, the last a check
character computed from the first 17 (modulo 31 over the code's own alphabet)."""

from __future__ import annotations

from eldercare.core.errors import Err

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class InvalidCreditCode(ValueError):
    LENGTH = Err("providers.credit_code_length", "统一社会信用代码应为18位 / a unified social credit code has 18 characters")
    CHARACTERS = Err(
        "providers.credit_code_characters", "统一社会信用代码含有无效字符（不使用I、O、S、V、Z）/ invalid characters (I, O, S, V and Z are not used)"
    )
    CHECK = Err("providers.credit_code_check", "统一社会信用代码校验位错误 / the check character is wrong")

    @property
    def error(self) -> Err:
        """The named error (its message and code) this was raised with."""
        first = self.args[0] if self.args else ""
        return first if isinstance(first, Err) else Err("providers.credit_code", str(first))


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """The code in capitals without spaces, or InvalidCreditCode saying what is wrong."""
    code = code.strip().replace(" ", "").upper()
    if len(code) != 18:
        raise InvalidCreditCode(InvalidCreditCode.LENGTH)
    if any(ch not in ALPHABET for ch in code):
        raise InvalidCreditCode(InvalidCreditCode.CHARACTERS)
    if check_character(code[:17]) != code[17]:
        raise InvalidCreditCode(InvalidCreditCode.CHECK)
    return code
