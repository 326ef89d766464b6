"""Reading a contract file: parse, schema-check, build the typed model, lint the model.

`check_contract` never raises on any JSON value; every problem is a `Finding` with a JSON
path. Reading failures (a missing file, broken JSON) are one-sentence `MigratorError`s.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.contract.edits import edit_json
from migrator.contract.typed import build_contract, build_draft
from migrator.contract.lint import lint, sql_findings
from migrator.contract.model import Contract
from migrator.contract.paths import ROOT, child, sort_key
from migrator.contract.schema import schema_findings, unknown_key_findings
from migrator.errors import MigratorError
from migrator.findings import end_sentence, Finding, Severity


class ContractSyntaxError(MigratorError):
    """The file is not JSON; `finding` says where (line and column)."""

    def __init__(self, message: str, finding: Finding) -> None:
        super().__init__(message, hint=finding.fix)
        self.finding = finding


class JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers keys it saw more than once (JSON keeps only the last)."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.duplicates: tuple[str, ...] = ()
        if len(self) < len(pairs):
            counts: dict[str, int] = {}
            for key, _ in pairs:
                counts[key] = counts.get(key, 0) + 1
            self.duplicates = tuple(k for k, n in counts.items() if n > 1)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text} is too large")
    return value


def parse_json(text: str, source: str = "contract") -> Any:
    """The JSON value of `text`; NaN, Infinity and numbers that overflow to it are refused."""
    try:
        return json.loads(text, object_pairs_hook=JsonObject, parse_constant=_reject_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        finding = Finding(Severity.ERROR, ROOT, f"not valid JSON: {exc.msg} at {where}",
                          "correct the JSON syntax at that position", "json.syntax")
        raise ContractSyntaxError(f"{source} is not valid JSON: {exc.msg} at {where}", finding) from exc
    except (ValueError, RecursionError) as exc:
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        finding = Finding(Severity.ERROR, ROOT, f"not valid JSON: {reason}", "write plain JSON", "json.syntax")
        raise ContractSyntaxError(f"{source} is not valid JSON: {reason}", finding) from exc


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise MigratorError(f"contract file {path} does not exist", hint="check the path") from exc
    except IsADirectoryError as exc:
        raise MigratorError(f"{path} is a directory, not a contract file", hint="give the JSON file") from exc
    except UnicodeDecodeError as exc:
        raise MigratorError(f"contract file {path} is not UTF-8 text (byte {exc.start})",
                            hint="save it as UTF-8") from exc
    except OSError as exc:
        raise MigratorError(f"cannot read contract file {path}: {exc.strerror or exc}",
                            hint="check its permissions") from exc


# ---------------------------------------------------------------------------- checking

def duplicate_key_findings(doc: Any) -> list[Finding]:
    """An error for every key repeated inside one JSON object (which value was meant is unknown)."""
    findings: list[Finding] = []
    stack: list[tuple[Any, str]] = [(doc, ROOT)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key in getattr(value, "duplicates", ()):
                findings.append(Finding(Severity.ERROR, child(path, key),
                                        f"key `{key}` appears more than once in this object; JSON keeps only the last",
                                        "keep one of them", "json.duplicate_key"))
            stack.extend((v, child(path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, child(path, i)) for i, v in enumerate(value))
    return findings


def _severity_rank(finding: Finding) -> int:
    return 0 if finding.severity is Severity.ERROR else 1


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Unique findings in document order (errors first at one path); stable output for tests and diffs."""
    unique = {(f.path, f.code, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: (sort_key(f.path), _severity_rank(f), f.code, f.message))


def check_contract(doc: Any) -> list[Finding]:
    """Every schema violation and lint finding of a parsed contract, sorted by path.

    The schema check reads the document; the lint rules read its typed model, built as a
    draft so that they also judge the parts the schema check found nothing wrong with.
    """
    draft = build_draft(doc)
    return sort_findings([*schema_findings(doc), *duplicate_key_findings(doc), *unknown_key_findings(doc),
                          *lint(draft), *sql_findings(draft)])


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def read_contract(path: Path) -> tuple[Contract | None, list[Finding]]:
    """The contract (None when it has errors) and every finding; MigratorError when it cannot be read or parsed."""
    doc = parse_json(read_text(path), str(path))
    findings = check_contract(doc)
    if has_errors(findings):
        return None, findings
    return build_contract(doc, str(path), findings), findings


# ---------------------------------------------------------------------------- the validate command

@dataclass(frozen=True)
class ValidationReport:
    """What `migrator validate` prints: findings of one contract file."""

    source: str
    tables: int
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def to_json(self) -> dict[str, Any]:
        """`edit` is the fix as a change a tool can apply (`edits.edit_json`), or null."""
        return {"valid": self.valid, "tables": self.tables,
                "findings": [{"severity": str(f.severity), "path": f.path, "code": f.code, "message": f.message,
                              "fix": f.fix, "edit": None if f.edit is None else edit_json(f.edit)}
                             for f in self.findings]}

    def summary(self) -> str:
        if self.valid:
            return f"Contract valid: {_count(self.tables, 'table')}, {_count(self.warnings, 'warning')}."
        return f"Contract invalid: {_count(self.errors, 'error')}, {_count(self.warnings, 'warning')}."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _text(finding: Finding) -> str:
    """`message; fix.` (a fix that asks a question keeps its question mark)."""
    return end_sentence(finding.message.rstrip(".") + (f"; {finding.fix.rstrip('.')}" if finding.fix else ""))


def finding_line(finding: Finding) -> str:
    """`error    $.path  message; fix.` — one finding on one line."""
    return f"{finding.severity!s:<7}  {finding.path}  {_text(finding)}"


def _table_count(doc: Any) -> int:
    tables = doc.get("tables") if isinstance(doc, dict) else None
    return len(tables) if isinstance(tables, list) else 0


def validate_file(path: Path) -> ValidationReport:
    """Check one contract file; broken JSON is a finding too, an unreadable file a MigratorError."""
    text = read_text(path)
    try:
        doc = parse_json(text, str(path))
    except ContractSyntaxError as exc:
        return ValidationReport(str(path), 0, (exc.finding,))
    findings: Sequence[Finding] = check_contract(doc)
    if not has_errors(findings):
        build_contract(doc, str(path), findings)   # the model must build from every error-free contract
    return ValidationReport(str(path), _table_count(doc), tuple(findings))
