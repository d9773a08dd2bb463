"""Writes to the region tree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from eldercare.core.errors import Err

from .models import CODE_LENGTH, PREFIX_LENGTH, Level, Region, code_prefix

ERR_CODE_FORMAT = Err("regions.code_format", "区划代码必须是12位数字 / a region code is 12 digits")
ERR_LEVEL = Err("regions.level", "层级必须比上级低一级 / a region's level is one below its parent's")
ERR_NOT_UNDER_PARENT = Err("regions.not_under_parent", "区划代码不在上级区划之内 / the code does not lie under its parent's code")
ERR_TRAILING = Err("regions.trailing", "区划代码在本级之后应全为0 / digits after the region's own level must be 0")
def validate_region(*, code: str, level: int, parent: Region | None) -> None:
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise ValidationError({"code": ERR_CODE_FORMAT})
    if code[PREFIX_LENGTH[Level(level)] :].strip("0"):
        raise ValidationError({"code": ERR_TRAILING})
    if parent is not None:
        if level != parent.level + 1:
            raise ValidationError({"level": ERR_LEVEL})
        if code_prefix(code, parent.level) != parent.prefix:
            raise ValidationError({"code": ERR_NOT_UNDER_PARENT})


@transaction.atomic
def region_create(*, code: str, name: str, level: int, parent: Region | None = None, **flags: bool) -> Region:
    validate_region(code=code, level=level, parent=parent)
    return Region.objects.create(code=code, name=name, level=level, parent=parent, **flags)
