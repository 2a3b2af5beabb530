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


@pytest.mark.parametrize(("command", "args", "option", "values"), [
    (["search"], ["x"], "--domain", "culture_social_tourism|civil_works_traffic"),
    (["export"], [], "--format", "csv|jsonl|xlsx"),
    (["corrections", "add"], ["1"], "--field", "municipal|domain|secondary|rasht|concern|tone"),
    (["users", "add"], ["x"], "--role", "admin|secretariat|chair|viewer"),
    (["digest"], [], "--group", "economic_budget_it|all"),
    (["report", "monthly"], [], "--format", "html|md|json"),
])
def test_enumerated_options_list_their_values_and_refuse_a_typo(command, args, option, values):
    help_text = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "250"}).output
    assert values in help_text
    bad = CliRunner().invoke(app, [*command, *args, option, "nosuchvalue"], env={"COLUMNS": "250"})
    assert bad.exit_code == 2 and f"Invalid value for '{option}'" in bad.output


def test_on_off_flags_are_shown_as_flags_not_as_taking_a_value():
    help_text = CliRunner().invoke(app, ["digest", "--help"], env={"COLUMNS": "250"}).output
    assert "--weekly" in help_text and "--send" in help_text
    assert "<bool>" not in help_text
    assert "<str>" in help_text  # options that take a value still say what kind
