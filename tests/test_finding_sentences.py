"""A finding reads as one sentence with one closing mark (issue 24: "did you mean `x`?." had two)."""

from __future__ import annotations

import pytest

from migrator.contract.document import finding_line
from migrator.findings import Finding, Severity, end_sentence


@pytest.mark.parametrize(("message", "fix", "sentence"), [
    ("unknown key `tpye`", "did you mean `type`?", "$.a: unknown key `tpye`; did you mean `type`?"),
    ("bad value.", "fix it.", "$.a: bad value; fix it."),
    ("no fix here", None, "$.a: no fix here."),
    ("why?", None, "$.a: why?"),
])
def test_one_closing_mark(message: str, fix: str | None, sentence: str) -> None:
    finding = Finding(Severity.ERROR, "$.a", message, fix)
    assert finding.sentence() == sentence
    assert finding_line(finding).endswith(sentence.split(": ", 1)[1])
    assert "?." not in finding_line(finding) and ".." not in finding_line(finding)


def test_end_sentence() -> None:
    assert [end_sentence(t) for t in ("a", "a.", "a?", "a! ", "")] == ["a.", "a.", "a?", "a!", "."]
