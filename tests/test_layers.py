"""The layering of docs/architecture.md, enforced: the import contracts in pyproject.toml ([tool.importlinter])."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_imports_point_one_way() -> None:
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_no_private_name_is_imported_across_modules() -> None:
    """A module's underscore names are its own: another module that needs one needs a public interface."""
    found = []
    for path in sorted((REPO / "migrator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("migrator"):
                found += [f"{path.relative_to(REPO)}:{node.lineno} imports {alias.name} from {node.module}"
                          for alias in node.names if alias.name.startswith("_") and alias.name != "__version__"]
    assert not found, "\n".join(found)
