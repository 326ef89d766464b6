"""Every command's --help ends with examples, and every example parses against the command it
shows (options, arguments, types) — with click's own parser, without running anything.
`--version` and shell completion through the real entry point."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from migrator import __version__
from migrator.cli import build
from migrator.cli.examples import EXAMPLES


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")   # Typer vendors its own click: no isinstance(click.Group)


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, command in group.commands.items():
        if _is_group(command):
            out.update(_commands(command, (*prefix, name)))
        else:
            out[" ".join((*prefix, name))] = command
    return out


def _argv(example: str) -> list[str]:
    """The arguments after `migrator` (inside `"$(...)"` too), up to a shell redirection."""
    if example.startswith("eval"):
        example = example.split("$(", 1)[1].rsplit(")", 1)[0]
    words = shlex.split(example)
    assert words[0] == "migrator", example
    words = words[1:]
    return words[:words.index(">")] if ">" in words else words


ROOT = get_command(build())
COMMANDS = _commands(ROOT)


def test_every_command_has_examples_and_every_example_a_command() -> None:
    assert set(COMMANDS) == set(EXAMPLES), (set(COMMANDS) ^ set(EXAMPLES))


@pytest.mark.parametrize("example", [e for lines in EXAMPLES.values() for e in lines])
def test_each_example_parses_against_its_command(example: str) -> None:
    args = _argv(example)
    command: Any = ROOT
    ctx = command.make_context("migrator", list(args))
    while _is_group(command):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None and name is not None, example
        command = found
        ctx = command.make_context(name, list(rest), parent=ctx)   # raises a UsageError on a bad example
    assert ctx.args == [], (example, ctx.args)


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_help_ends_with_the_examples(path: str) -> None:
    result = CliRunner().invoke(build(), [*path.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    tail = result.output[result.output.index("Examples"):]
    for example in EXAMPLES[path]:
        assert f"$ {example}" in tail, (path, example)


def test_version_and_completion_through_the_entry_point() -> None:
    version = subprocess.run([sys.executable, "-m", "migrator", "--version"], capture_output=True, text=True,
                             timeout=60)
    assert (version.returncode, version.stdout) == (0, f"migrator {__version__}\n")
    # Typer guesses the shell from the process tree unless told not to; then the option takes the
    # shell named (under nohup or a CI runner without a shell ancestor, the guess finds none).
    script = subprocess.run([sys.executable, "-m", "migrator", "--show-completion", "bash"], capture_output=True,
                            text=True, timeout=60,
                            env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert script.returncode == 0 and "_MIGRATOR_COMPLETE=complete_bash" in script.stdout, script.stdout + script.stderr

    def complete(words: str) -> list[str]:
        """What bash gets back for the last word, asked the way the installed script asks."""
        env = {**os.environ, "_MIGRATOR_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}
        done = subprocess.run([sys.executable, "-m", "migrator"], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("migrator sandbox s") == ["status"]
    assert complete("migrator plan --det") == ["--detailed-exitcode"]
    assert {"plan", "apply", "destroy", "doctor"} <= set(complete("migrator d") + complete("migrator p")
                                                         + complete("migrator a"))
