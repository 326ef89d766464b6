"""The item spec (runtime.spec.ItemSpec) as a document: what compile writes, the job reads back
unchanged; what it refuses, it refuses with one sentence; the verify job's sources must agree."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrator.runtime import verify
from migrator.runtime.spec import (ENCODINGS, KEY_TYPES, TYPES, VERSION_TYPES, WRITE_MODES, AttributeSpec, ItemSpec,
                                   SpecError)
from tests.item_specs import item_spec

NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)


@st.composite
def specs(draw: Any) -> ItemSpec:
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    attributes = []
    for name in names:
        type_ = draw(st.sampled_from(TYPES))
        encodings = [e for e, types in ENCODINGS.items() if type_ in types]
        encoding = draw(st.sampled_from([None, *encodings]))
        attributes.append(AttributeSpec(name, type_, encoding=encoding))
    keyable = [a.name for a in attributes if a.type in KEY_TYPES]
    if not keyable:
        attributes[0] = AttributeSpec(attributes[0].name, "S")
        keyable = [attributes[0].name]
    keys = draw(st.lists(st.sampled_from(keyable), min_size=1, max_size=2, unique=True))
    mode = draw(st.sampled_from(WRITE_MODES))
    versions = [a.name for a in attributes if a.type in VERSION_TYPES and a.name not in keys]
    if mode == "version_guarded" and not versions:
        mode = "overwrite"
    version = draw(st.sampled_from(versions)) if mode == "version_guarded" else None
    return ItemSpec.of(draw(NAMES), draw(NAMES), attributes, keys, mode, version)


@settings(max_examples=200, deadline=None)
@given(specs())
def test_a_spec_reads_back_as_itself_from_its_json(spec: ItemSpec) -> None:
    again = ItemSpec.from_json(spec.to_json())
    assert again == spec
    assert again.to_json() == spec.to_json()   # the same spec is the same bytes
    # the key roles come from `keys` alone: the partition key, then the sort key
    assert [a.name for a in again.attributes if a.key] == [n for n in again.names if n in spec.keys]
    assert {a.name for a in again.attributes if a.sort_key} == set(spec.keys[1:])


def test_a_broken_document_is_one_sentence_naming_what_is_wrong() -> None:
    good = item_spec("v", "T", [{"name": "PK", "type": "S", "key": True}, {"name": "n", "type": "N"}]).to_doc()
    cases: list[tuple[Any, str]] = [
        ([], "must be an object"),
        ({**good, "format": 0}, "different migrator versions"),
        ({**good, "attributes": "PK"}, "attributes must be a list"),
        ({**good, "keys": "PK"}, "keys must be a list"),
        ({**good, "keys": ["n", "PK"], "attributes": [{"name": "PK", "type": "S"}, {"name": "n", "type": "M"}]},
         "a key attribute must be S, N or B"),
        ({**good, "view": 3}, "a view and a table"),
        ({**good, "write_mode": 1}, "must be text"),
        ({**good, "write_mode": "version_guarded", "version_column": "n", "keys": ["n"]}, "is a table key"),
    ]
    for doc, words in cases:
        with pytest.raises(SpecError) as caught:
            ItemSpec.from_doc(doc)
        assert words in str(caught.value) and "\n" not in str(caught.value), (doc, str(caught.value))


def test_the_verify_job_takes_only_sources_of_its_table_with_one_key() -> None:
    attributes = [{"name": "PK", "type": "S", "key": True}, {"name": "SK", "type": "N"}]
    mine = verify.Source(item_spec("v1", "T", attributes), "rejects/a/")
    assert verify.sources_arg(json.dumps([mine.to_doc()]), "T") == [mine]
    other_table = verify.Source(item_spec("v2", "U", attributes))
    other_key = verify.Source(item_spec("v2", "T", attributes, keys=["PK", "SK"]))
    for sources, words in (([mine, other_table], "load table(s) U, not --target_table T"),
                           ([mine, other_key], "disagree on its key"), ([], "names no view")):
        with pytest.raises(verify.VerifyError, match=re.escape(words)):
            verify.sources_arg(json.dumps([s.to_doc() for s in sources]), "T")
    with pytest.raises(verify.VerifyError, match="JSON array"):
        verify.sources_arg(json.dumps([{"view": "v", "attributes": attributes}]), "T")   # the old shape
