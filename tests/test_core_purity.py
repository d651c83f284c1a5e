"""The core must stay pure: no workbook, Excel or plotting library, directly or indirectly."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "journey_workbook" / "core"
MODULES = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
FORBIDDEN = ("openpyxl", "xlwings", "matplotlib")
PROBE = (
    "import importlib, sys; importlib.import_module({name!r}); "
    "print(sorted({{m.split('.')[0] for m in sys.modules}} & {forbidden!r}))"
)


def test_there_are_core_modules_to_check():
    assert {"periods", "values", "attainment", "plan", "risks", "tiering", "model"} <= set(MODULES)


@pytest.mark.parametrize("module", ["journey_workbook.core"] + [f"journey_workbook.core.{m}" for m in MODULES])
def test_importing_a_core_module_loads_no_forbidden_library(module):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    probe = PROBE.format(name=module, forbidden=set(FORBIDDEN))
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("module", MODULES)
def test_core_imports_only_stdlib_pandas_and_core(module):
    """Catches lazy imports inside functions too, which the import probe cannot see."""
    tree = ast.parse((CORE / f"{module}.py").read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0]
    allowed = set(sys.stdlib_module_names) | {"pandas", "__future__"}
    outside = [n for n in names if n.split(".")[0] not in allowed and not n.startswith("journey_workbook.core")]
    assert outside == []
