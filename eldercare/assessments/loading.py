"""Reading the YAML data files with errors that name the file and the path of the bad entry."""

from __future__ import annotations

import enum
from collections.abc import Collection
from pathlib import Path

import yaml

from .errors import DataFileError


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

    def str(self, key: str) -> str:
        return self._required(key, (str,), "text")

    def int(self, key: str) -> int:
        return self._required(key, (int,), "an integer")

    def mapping(self) -> dict:
        if not isinstance(self.data, dict) or not self.data:
            raise self.error(DataFileError.BAD_VALUE, detail=f"expected a mapping, got {self.data!r}")
        return self.data

    def list(self, key: str) -> list[Node]:
        values = self._required(key, (list,), "a non-empty list")
        return [Node(v, self.file, self._join(key, i)) for i, v in enumerate(values)]

    def strs(self, key: str) -> tuple[str, ...]:
        values = self.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.at(key).error(DataFileError.BAD_VALUE, detail=f"expected a list of codes, got {values!r}")
        return tuple(values)

    def ints(self, key: str) -> tuple[int, ...]:
        values = self._required(key, (list,), "a non-empty list of integers")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise self.at(key).error(DataFileError.BAD_VALUE, detail=f"expected integers, got {values!r}")
        return tuple(values)

    def choice[E: enum.StrEnum](self, key: str, kind: type[E]) -> E:
        value = self.get(key)
        if value not in {member.value for member in kind}:
            raise Node(value, self.file, self._join(key)).error(
                DataFileError.UNKNOWN_RULE, rule=value, known=", ".join(member.value for member in kind)
            )
        return kind(value)

    def one_of(self, key: str, known: Collection[str], kind: str) -> str:
        value = self.get(key)
        if value not in known:
            raise Node(value, self.file, self._join(key)).error(DataFileError.UNKNOWN_NAME, kind=kind, name=value)
        return value
