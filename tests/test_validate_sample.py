"""The sampled deep compare's pure parts: the sample's SQL, the item comparison, the verdict."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.runtime.spec import AttributeSpec, ItemSpec
from migrator.compare.sample import (MAX_FINDINGS, SampleOutcome, compare_item, expected_items, judge, sample_sql,
                                      valid_seed)

KEYS = ["PK", "SK"]


def test_the_sample_sql_is_seeded_excludes_shared_keys_and_is_deterministic() -> None:
    sql = sample_sql("v_orders", ["PK", "SK", "total"], KEYS, 500, "s1")
    assert sql == sample_sql("v_orders", ["PK", "SK", "total"], KEYS, 500, "s1")
    assert "CRC32(CONCAT_WS('|', 's1', `PK`, `SK`))" in sql
    assert "GROUP BY `PK`, `SK` HAVING COUNT(*) = 1" in sql and "LIMIT 500" in sql
    assert "v.`PK` <=> s.`PK` AND v.`SK` <=> s.`SK`" in sql
    assert sample_sql("v", ["a`b"], ["a`b"], 1, "x").count("`a``b`") >= 3


@pytest.mark.parametrize("seed", ["", "a'b", "x; DROP", "é"])
def test_a_seed_that_could_break_the_sql_is_refused(seed: str) -> None:
    assert not valid_seed(seed)
    with pytest.raises(ValueError, match="seed"):
        sample_sql("v", ["k"], ["k"], 10, seed)


def item(pk: str, sk: int, **attrs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"PK": {"S": pk}, "SK": {"N": str(sk)}, **attrs}


def test_each_kind_of_difference_is_named() -> None:
    want = item("a", 1, total={"N": "1.50"}, name={"S": "PRIVATE-1"}, blob={"B": b"\x00\x01"}, gone={"S": "PRIVATE-2"})
    got = item("a", 1, total={"N": "1.5"}, name={"N": "7"}, blob={"B": base64.b64encode(b"\x00\x02").decode()},
               extra={"S": "PRIVATE-3"})
    diffs = compare_item("T", want, got, KEYS, ["PK", "SK", "total", "name", "blob", "gone", "extra"])
    assert [(d.kind, d.attribute) for d in diffs] == [("type", "name"), ("value", "blob"),
                                                       ("missing_attribute", "gone"),
                                                       ("unexpected_attribute", "extra")]
    assert diffs[0].sentence() == "T item PK=a, SK=1 has the wrong type in name (expected S, found N)"
    assert diffs[2].sentence() == "T item PK=a, SK=1 lacks attribute gone"
    missing = compare_item("T", want, None, KEYS, ["total"])
    assert [d.sentence() for d in missing] == ["T item PK=a, SK=1 is missing"]
    assert not any("PRIVATE" in d.sentence() or "AAI" in d.sentence() for d in diffs)  # no values in a finding


def test_only_the_loads_own_attributes_are_compared() -> None:
    want = item("a", 1, total={"N": "2"})
    got = item("a", 1, total={"N": "2"}, written_by_another_entity={"S": "q"})
    assert compare_item("T", want, got, KEYS, ["PK", "SK", "total"]) == []


attribute_values = st.recursive(
    st.one_of(st.text(min_size=1).map(lambda s: {"S": s}),
              st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda d: {"N": str(d)}),
              st.binary(min_size=1).map(lambda b: {"B": b}), st.booleans().map(lambda b: {"BOOL": b}),
              st.just({"NULL": True})),
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(lambda v: {"L": v}),
                            st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3).map(
                                lambda v: {"M": v})),
    max_leaves=6)


@given(st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda n: n not in KEYS), attribute_values,
                       max_size=5), st.data())
def test_an_item_equals_itself_and_one_changed_attribute_is_exactly_the_finding(
        attrs: dict[str, Any], data: st.DataObject) -> None:
    want = item("p", 3, **attrs)
    names = list(want)
    as_json = {k: ({"B": base64.b64encode(v["B"]).decode()} if "B" in v else v) for k, v in want.items()}
    assert compare_item("T", want, as_json, KEYS, names) == []         # what comes back over MCP: base64 B
    if not attrs:
        return
    changed = data.draw(st.sampled_from(sorted(attrs)))
    other = {**want, changed: {"S": "\x00-not-the-same"} if want[changed] != {"S": "\x00-not-the-same"}
             else {"N": "1"}}
    diffs = compare_item("T", want, other, KEYS, names)
    assert [d.attribute for d in diffs] == [changed]


def test_judge_counts_presence_only_and_caps_the_findings() -> None:
    spec = ItemSpec.of("v", "T", [AttributeSpec("PK", "S"), AttributeSpec("SK", "N"), AttributeSpec("v", "N")],
                       ["PK", "SK"])
    rows = [{"PK": f"k{i}", "SK": i, "v": Decimal(i)} for i in range(MAX_FINDINGS + 10)] + [
        {"PK": None, "SK": 1, "v": 1}]
    items, rejected = expected_items(rows, spec)
    assert rejected == 1 and len(items) == MAX_FINDINGS + 10
    stored = {("k0", Decimal(0)): items[0]}
    outcome = judge(SampleOutcome("T"), items, stored, KEYS, ["PK", "SK", "v"], presence_only=False)
    assert (outcome.compared, outcome.matching, outcome.missing, outcome.ok) == (MAX_FINDINGS + 10, 1,
                                                                               MAX_FINDINGS + 9, False)
    assert len(outcome.differences) == MAX_FINDINGS
    changed = {("k0", Decimal(0)): {**items[0], "v": {"N": "99"}}}
    lenient = judge(SampleOutcome("T"), items[:1], changed, KEYS, ["PK", "SK", "v"], presence_only=True)
    assert (lenient.matching, lenient.presence_only, lenient.ok) == (1, 1, True)


def test_a_version_guarded_load_expects_no_item_for_a_row_without_a_version() -> None:
    """As the load rejects it (version_null), the sample must not call its absence a finding."""
    attributes = [AttributeSpec("PK", "S"), AttributeSpec("SK", "N"), AttributeSpec("ver", "N")]
    rows = [{"PK": "a", "SK": 1, "ver": 3}, {"PK": "b", "SK": 2, "ver": None}]
    assert expected_items(rows, ItemSpec.of("v", "T", attributes, ["PK", "SK"])) == (
        [{"PK": {"S": "a"}, "SK": {"N": "1"}, "ver": {"N": "3"}}, {"PK": {"S": "b"}, "SK": {"N": "2"}}], 0)
    items, rejected = expected_items(rows, ItemSpec.of("v", "T", attributes, ["PK", "SK"], "version_guarded", "ver"))
    assert rejected == 1 and [i["PK"] for i in items] == [{"S": "a"}]
