"""The zip shipped to Glue as `--extra-py-files`: migrator.runtime plus a vendored pymysql.

Why a zip of our own: Glue Python shell has boto3 but not pymysql, and the job must run
the very code validation imports. The zip is deterministic (sorted entries, 1980-01-01
timestamps, fixed permissions, no __pycache__, fixed compression level), so its digest
only changes when the code does and plan/apply can compare it with what is in S3.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

RUNTIME_DIR = Path(__file__).resolve().parent
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
STUB_INIT = (b'"""migrator, as shipped to a Glue job: only migrator.runtime is included."""\n')


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the package {name!r} is not installed; it is needed to build the Glue bundle")
    return Path(next(iter(spec.submodule_search_locations)))


def _python_files(root: Path, prefix: str) -> List[Tuple[str, bytes]]:
    """Every .py file under root (no caches), as (archive name, bytes)."""
    out = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root)
        if "__pycache__" in rel.parts:
            continue
        out.append((f"{prefix}/{rel.as_posix()}", path.read_bytes()))
    return out


def _license(distribution: str) -> Optional[bytes]:
    """The vendored package's licence text, shipped beside it (MIT requires it)."""
    try:
        from importlib import metadata
        files = metadata.distribution(distribution).files or []
    except Exception:
        return None
    for f in files:
        if f.name.upper().startswith("LICENSE"):
            try:
                return Path(str(f.locate())).read_bytes()
            except OSError:
                return None
    return None


def bundle_entries() -> Dict[str, bytes]:
    """Archive name -> content of every file in the bundle."""
    entries: Dict[str, bytes] = {"migrator/__init__.py": STUB_INIT}
    entries.update(_python_files(RUNTIME_DIR, "migrator/runtime"))   # subpackages too (runtime/writer/)
    entries.update(_python_files(_package_dir("pymysql"), "pymysql"))
    licence = _license("PyMySQL")
    if licence is not None:
        entries["pymysql/LICENSE"] = licence
    return entries


def build_bundle() -> bytes:
    """The bundle zip, byte-identical for identical sources."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(bundle_entries().items()):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, so external_attr means permissions everywhere
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()

