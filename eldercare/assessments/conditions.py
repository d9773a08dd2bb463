"""The small condition language of the standards' rule tables.

A condition is a mapping; all its entries must hold:
    {adl: [1, 2]}                      the value named adl is 1 or 2
    {any: [cond, cond, …]}             at least one condition holds
    {all: [cond, cond, …]}             every condition holds
    {count_of: {fields: [a, b, c], in: [1, 2], between: [1, 2]}}
                                       between 1 and 2 of a, b, c have a value in [1, 2]
A value that is absent (an item skipped) matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

Values = Mapping[str, int]
Fail = Callable[[str, str], Exception]  # (path, detail) → the error to raise


@dataclass(frozen=True)
class In:
    field: str
    values: frozenset[int]

    def holds(self, values: Values) -> bool:
        return values.get(self.field) in self.values


@dataclass(frozen=True)
class All:
    terms: tuple[Condition, ...]

    def holds(self, values: Values) -> bool:
        return all(term.holds(values) for term in self.terms)


@dataclass(frozen=True)
class Any:
    terms: tuple[Condition, ...]

    def holds(self, values: Values) -> bool:
        return any(term.holds(values) for term in self.terms)


@dataclass(frozen=True)
class CountIn:
    fields: tuple[str, ...]
    values: frozenset[int]
    lo: int
    hi: int

    def holds(self, values: Values) -> bool:
        return self.lo <= sum(values.get(f) in self.values for f in self.fields) <= self.hi


Condition = In | All | Any | CountIn


def _ints(raw, path: str, fail: Fail) -> frozenset[int]:
    if not isinstance(raw, list) or not raw or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        raise fail(path, f"expected a non-empty list of integers, got {raw!r}")
    return frozenset(raw)


def _field(name, path: str, known: Collection[str], fail: Fail) -> str:
    if name not in known:
        raise fail(path, f"unknown field {name!r} (known: {', '.join(sorted(known))})")
    return name


def parse(raw, path: str, known: Collection[str], fail: Fail) -> Condition:
    """Parse one condition, checking every field name against `known`."""
    if not isinstance(raw, dict) or not raw:
        raise fail(path, f"expected a mapping, got {raw!r}")
    terms: list[Condition] = []
    for key, value in raw.items():
        here = f"{path}.{key}"
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                raise fail(here, "expected a non-empty list of conditions")
            parts = tuple(parse(v, f"{here}[{i}]", known, fail) for i, v in enumerate(value))
            terms.append(Any(parts) if key == "any" else All(parts))
        elif key == "count_of":
            if not isinstance(value, dict) or set(value) != {"fields", "in", "between"}:
                raise fail(here, "expected {fields, in, between}")
            fields = tuple(_field(f, f"{here}.fields", known, fail) for f in value["fields"])
            between = value["between"]
            if not (isinstance(between, list) and len(between) == 2 and all(isinstance(b, int) for b in between)):
                raise fail(f"{here}.between", "expected [low, high]")
            terms.append(CountIn(fields, _ints(value["in"], f"{here}.in", fail), between[0], between[1]))
        else:
            terms.append(In(_field(key, here, known, fail), _ints(value, here, fail)))
    return terms[0] if len(terms) == 1 else All(tuple(terms))


def parse_any(raw, path: str, known: Collection[str], fail: Fail) -> Condition:
    """A list of alternatives (`when_any`): holds when any holds."""
    if not isinstance(raw, list) or not raw:
        raise fail(path, "expected a non-empty list of conditions")
    return Any(tuple(parse(v, f"{path}[{i}]", known, fail) for i, v in enumerate(raw)))
