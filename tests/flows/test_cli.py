"""The command line: every command has --help; remote text never breaks the terminal output."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flows.cli import app
from mediawatch.records import SourceReport

COMMANDS = ["demo", "nightly", "process", "morning", "serve", "collect", "sources", "digest", "classify",
            "eval", "train", "search", "export", "db", "corrections", "web", "users", "report"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_collect_table_shows_remote_markup_as_text():
    from flows.commands.collect import _report_table

    table = _report_table([SourceReport("x", failed=1, errors=["http://a/b: [/b] [bold red]boom"]),
                           SourceReport("y", fatal="feed said [/]")])
    out = io.StringIO()
    Console(file=out, width=200).print(table)
    assert "[/b] [bold red]boom" in out.getvalue() and "feed said [/]" in out.getvalue()


def test_version_prints_the_installed_package_version():
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"mediawatch {version('mediawatch')}\n"


def test_without_arguments_the_main_app_still_shows_its_help():
    result = CliRunner().invoke(app, [])
    assert "Usage" in result.output and "collect" in result.output


def test_readme_commands_table_names_only_options_the_commands_have():
    """Each `--option` in a row of README's commands table is in that command's --help."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    checked = 0
    for cell in re.findall(r"^\| (.+?) \| [^|`]+\|?$", table, flags=re.M):
        for usage in re.findall(r"`([^`]+)`", cell):
            words = usage.removeprefix("mediawatch ").split()
            path = [w for w in words[:2] if re.fullmatch(r"[a-z][a-z-]*", w)]
            options = set(re.findall(r"--[a-z][a-z-]*", usage))
            if not options:
                continue
            help_text = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "250"}).output
            for option in options:
                assert option in help_text, (usage, option)
                checked += 1
    assert checked > 30
