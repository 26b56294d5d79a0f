"""The CLI's plugins: the benchmarks and evaluations come through the ``lampdesk.plugins`` group."""

from __future__ import annotations

import argparse
from importlib.metadata import EntryPoint

import pytest

from lampdesk.cli import build_parser, plugins
from lampdesk.cli.context import Context


def _parser(points: list[EntryPoint]) -> tuple[argparse.ArgumentParser, list[plugins.Failure]]:
    parser = argparse.ArgumentParser(prog="lampdesk")
    commands = parser.add_subparsers(dest="command")
    return parser, plugins.register(commands, points)


def test_the_installed_evals_plugin_adds_eval_and_bench() -> None:
    args = build_parser().parse_args(["bench", "retrieval", "--queries", "3"])
    assert args.handler.__module__ == "lampdesk.evals.commands"
    assert build_parser().parse_args(["eval", "memory", "--data", "x"]).eval_command == "memory"


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        ([], "it is not installed"),
        (
            [EntryPoint("evals", "lampdesk.no_such_plugin", plugins.GROUP)],
            "ModuleNotFoundError",
        ),
    ],
)
def test_a_missing_or_broken_plugin_is_one_clear_line(
    points: list[EntryPoint], reason: str
) -> None:
    parser, failures = _parser(points)
    assert [f.plugin for f in failures] == [p.name for p in points]
    for argv in (["bench", "retrieval", "--json"], ["eval", "answers", "--data", "x"]):
        args = parser.parse_args(argv)
        with pytest.raises(plugins.PluginUnavailableError) as raised:
            args.handler(Context(None, "default"), args)
        assert f"'{argv[0]}' comes from the plugin 'evals'" in str(raised.value)
        assert reason in str(raised.value)
