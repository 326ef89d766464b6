"""mcp.json parsing: every malformed input is one sentence naming where and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrator.errors import ConfigError
from migrator.mcp.config import find_config, load_config, parse_config
from migrator.mcp.facades import ROLES


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_standard_file_with_defaults(tmp_path: Path) -> None:
    doc = {"mcpServers": {f"migrator-{r}": {"command": "python", "args": ["-m", "x", r]} for r in ROLES}}
    cfg = load_config(_write(tmp_path, doc))
    assert {r: (b.server, b.adapter) for r, b in cfg.roles.items()} == {r: (f"migrator-{r}", "builtin") for r in ROLES}
    assert cfg.server_for("glue").args == ("-m", "x", "glue")


def test_role_mapping_and_env_expansion(tmp_path: Path) -> None:
    doc = {"mcpServers": {"db": {"command": "mysql_mcp_server", "env": {"MYSQL_PASSWORD": "${env:DBPW}", "P": "${PORT}x"}}},
           "migrator": {"roles": {"mysql": {"server": "db", "adapter": "mysql_mcp_server"}}}}
    cfg = load_config(_write(tmp_path, doc), environ={"DBPW": "s3cret", "PORT": "3307"})
    assert cfg.roles["mysql"].adapter == "mysql_mcp_server"
    assert cfg.servers["db"].env == {"MYSQL_PASSWORD": "s3cret", "P": "3307x"}


@pytest.mark.parametrize("doc, expected", [
    ("{not json", "is not valid JSON (line 1, column 2"),
    ([], "has no 'mcpServers' object"),
    ({"servers": {}}, "has no 'mcpServers' object"),
    ({"mcpServers": {"a": "python"}}, "mcpServers.a must be an object"),
    ({"mcpServers": {"a": {"args": []}}}, "mcpServers.a has no 'command'"),
    ({"mcpServers": {"a": {"command": "x", "args": "y"}}}, "mcpServers.a.args must be a list of strings"),
    ({"mcpServers": {"a": {"command": "x", "env": {"K": ["v"]}}}}, "mcpServers.a.env must map names to strings"),
    ({"mcpServers": {"a": {"url": "http://x"}}}, "remote (HTTP/SSE) server"),
    ({"mcpServers": {"a": {"command": "x", "env": {"K": "${NOPE_NOT_SET}"}}}}, "refers to ${NOPE_NOT_SET}"),
    ({"mcpServers": {}, "migrator": {"roles": {"mysql": {"server": "ghost"}}}}, 'names server "ghost"'),
    ({"mcpServers": {"a": {"command": "x"}}, "migrator": {"roles": {"mysql": {"server": "a", "adapter": "odbc"}}}},
     'adapter "odbc" is not known'),
    ({"mcpServers": {}, "migrator": {"roles": {"redis": "a"}}}, "migrator.roles.redis is not a role"),
    ({"mcpServers": {}, "migrator": {"roles": {"mysql": 3}}}, "migrator.roles.mysql must name a server"),
])
def test_malformed_config_is_one_sentence(tmp_path: Path, doc: object, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, doc), environ={})
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith(".")


def test_find_config_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIGRATOR_MCP_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="no MCP configuration found"):
        find_config(cwd=tmp_path)
    (tmp_path / ".migrator/sandbox").mkdir(parents=True)
    (tmp_path / ".migrator/sandbox/mcp.json").write_text("{}")
    assert find_config(cwd=tmp_path) == tmp_path / ".migrator/sandbox/mcp.json"
    (tmp_path / "mcp.json").write_text("{}")
    assert find_config(cwd=tmp_path) == tmp_path / "mcp.json"
    with pytest.raises(ConfigError, match="does not exist"):
        find_config(tmp_path / "nope.json")


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                           max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(doc=st.one_of(json_values, st.fixed_dictionaries({"mcpServers": json_values}),
                     st.fixed_dictionaries({"mcpServers": st.dictionaries(st.text(max_size=4), json_values, max_size=2),
                                            "migrator": json_values})))
@example(doc={"mcpServers": {"\n": {}}})  # the two CI found: a name with a newline
@example(doc={"mcpServers": {"\n": 0}})
@example(doc={"mcpServers": {"a": {"command": "x", "env": {"\n": "${B}"}}}})
def test_any_document_parses_or_fails_with_a_sentence(doc: object) -> None:
    try:
        parse_config(doc, None, {})
    except ConfigError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
