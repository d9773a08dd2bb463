"""Reading YAML data files (assessment standards, regional policies, entitlement policies) with
errors that name the file and the path of the bad entry.

Errors in a data file are ValueErrors, not ValidationErrors: they are programming errors, found
when the file is loaded (and by the tests), never by a user."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Collection
from pathlib import Path

import yaml


class DataFileError(ValueError):
    """A data file that cannot be used; names the file and the entry's path."""

    MISSING = "missing"
    BAD_VALUE = "bad_value"
    DUPLICATE_ITEM = "duplicate_item"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    BANDS_NOT_TILING = "bands_not_tiling"
    UNKNOWN_RULE = "unknown_rule"
    UNKNOWN_NAME = "unknown_name"
    UNRESOLVED = "unresolved"

    MESSAGES = {
        MISSING: "缺少必填项 / required entry missing",
        BAD_VALUE: "取值无效：{detail} / invalid value: {detail}",
        DUPLICATE_ITEM: "项目代码“{item}”重复 / duplicate item code '{item}'",
        SCORE_OUT_OF_RANGE: "选项分值{score}超出指标范围{lo}～{hi} / option score {score} is outside the indicator's range {lo}–{hi}",
        BANDS_NOT_TILING: "分级区间未恰好覆盖总分范围：{detail} / the bands do not tile the score range exactly: {detail}",
        UNKNOWN_RULE: "未知的规则“{rule}”（可用：{known}） / unknown rule '{rule}' (known: {known})",
        UNKNOWN_NAME: "未知的{kind}“{name}” / unknown {kind} '{name}'",
        UNRESOLVED: "以下组合无法判定：{detail} / these combinations resolve to nothing: {detail}",
    }

    def __init__(self, file: str, path: str, code: str, **details):
        self.file, self.path, self.code, self.details = file, path, code, details
        super().__init__(f"{file}: {path}: {self.MESSAGES[code].format(**details)}")


def load_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise DataFileError(path.name, "", DataFileError.BAD_VALUE, detail=str(exc)) from exc


class Node:
    """A position in a parsed YAML document: its data, the file and the path to it."""

    def __init__(self, data, file: str, path: str):
        self.data, self.file, self.path = data, file, path

    def _join(self, key, index: int | None = None) -> str:
        path = f"{self.path}.{key}" if self.path else str(key)
        return path if index is None else f"{path}[{index}]"

    def error(self, code: str, **details) -> DataFileError:
        return DataFileError(self.file, self.path or "(top)", code, **details)

    def fail(self, path: str, detail: str) -> DataFileError:
        return DataFileError(self.file, path, DataFileError.BAD_VALUE, detail=detail)

    def has(self, key: str) -> bool:
        return isinstance(self.data, dict) and self.data.get(key) is not None

    def get(self, key: str, default=None):
        return self.data.get(key, default) if isinstance(self.data, dict) else default

    def at(self, key: str, index: int | None = None) -> Node:
        value = self.get(key)
        if index is not None:
            value = value[index] if isinstance(value, list) and index < len(value) else None
        node = Node(value, self.file, self._join(key, index))
        if value is None:
            raise node.error(DataFileError.MISSING)
        return node

    def _required(self, key: str, kinds: tuple[type, ...], what: str):
        node = self.at(key)
        if not isinstance(node.data, kinds) or isinstance(node.data, bool) or node.data == "":
            raise node.error(DataFileError.BAD_VALUE, detail=f"expected {what}, got {node.data!r}")
        return node.data

    def str(self, key: builtins.str) -> builtins.str:
        return self._required(key, (str,), "text")

    def int(self, key: builtins.str) -> builtins.int:
        return self._required(key, (int,), "an integer")

    def mapping(self) -> dict:
        if not isinstance(self.data, dict) or not self.data:
            raise self.error(DataFileError.BAD_VALUE, detail=f"expected a mapping, got {self.data!r}")
        return self.data

    def list(self, key: builtins.str) -> builtins.list[Node]:
        values = self._required(key, (list,), "a non-empty list")
        return [Node(v, self.file, self._join(key, i)) for i, v in enumerate(values)]

    def strs(self, key: builtins.str) -> tuple[builtins.str, ...]:
        values = self.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.at(key).error(DataFileError.BAD_VALUE, detail=f"expected a list of codes, got {values!r}")
        return tuple(values)

    def ints(self, key: builtins.str) -> tuple[builtins.int, ...]:
        values = self._required(key, (list,), "a non-empty list of integers")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise self.at(key).error(DataFileError.BAD_VALUE, detail=f"expected integers, got {values!r}")
        return tuple(values)

    def choice[E: enum.StrEnum](self, key: builtins.str, kind: type[E]) -> E:
        value = self.get(key)
        if value not in {member.value for member in kind}:
            raise Node(value, self.file, self._join(key)).error(
                DataFileError.UNKNOWN_RULE, rule=value, known=", ".join(member.value for member in kind)
            )
        return kind(value)

    def one_of(self, key: builtins.str, known: Collection[builtins.str], kind: builtins.str) -> builtins.str:
        value = self.get(key)
        if value not in known:
            raise Node(value, self.file, self._join(key)).error(DataFileError.UNKNOWN_NAME, kind=kind, name=value)
        return value
