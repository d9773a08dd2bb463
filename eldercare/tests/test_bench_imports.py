"""The bench scripts import the platform lazily (after settings are chosen); a rename must not leave
them pointing at what is gone. Every `from eldercare… import …` in bench/ resolves."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _imports() -> list[tuple[str, str, str]]:
    found = []
    for script in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("eldercare"):
                found += [(script.name, node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(script.name, alias.name, "") for alias in node.names if alias.name.startswith("eldercare")]
    return found


@pytest.mark.skipif(not BENCH.is_dir(), reason="bench/ is not shipped with the package")
@pytest.mark.parametrize(("script", "module", "name"), _imports() if BENCH.is_dir() else [])
def test_bench_imports_resolve(script, module, name):
    imported = importlib.import_module(module)
    if name:
        assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}") is not None, f"{script}: {module}.{name}"
