"""Stage loggers and the command line's --verbose / --quiet."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mediawatch.log import ROOT, set_verbosity, stage_logger

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch):
    root = logging.getLogger(ROOT)
    handlers, level = list(root.handlers), root.level
    root.handlers[:] = []  # as in a fresh process: no flow (another test's) has attached Prefect's handlers
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)
    yield
    root.handlers[:], root.level = handlers, level


def test_each_stage_has_its_logger_under_mediawatch():
    assert stage_logger("scrapers").name == "mediawatch.scrapers"
    with pytest.raises(ValueError, match="unknown stage"):
        stage_logger("nosuch")


def test_quiet_hides_info_and_verbose_shows_debug(capsys, caplog):
    caplog.set_level(logging.DEBUG, logger="other")  # pytest's capture handler sees what passes the levels
    set_verbosity()
    stage_logger("scrapers").info("info line")
    stage_logger("scrapers").debug("debug line dropped")
    set_verbosity(quiet=True)
    stage_logger("scrapers").info("hidden line")
    stage_logger("scrapers").warning("warning line")
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "WARNING"
    assert [r.getMessage() for r in caplog.records] == ["info line", "warning line"]
    assert capsys.readouterr().err == ""  # without --verbose nothing of ours writes outside a flow
    set_verbosity(verbose=True)
    stage_logger("nlp").debug("debug line")
    assert "mediawatch.nlp: debug line" in capsys.readouterr().err
    assert os.environ["PREFECT_LOGGING_LEVEL"] == "INFO"


def test_a_line_is_written_once_when_prefect_has_attached_its_handler(capsys):
    set_verbosity(verbose=True)
    set_verbosity(verbose=True)  # twice: still one handler of ours
    prefect_like = logging.StreamHandler(sys.stdout)  # stands for the handler Prefect attaches
    logging.getLogger(ROOT).addHandler(prefect_like)
    stage_logger("digests").info("sent")
    out = capsys.readouterr()
    assert out.out.count("sent") == 1 and "sent" not in out.err


def test_prefect_runs_show_the_stage_loggers():
    """The flows package names `mediawatch` as Prefect's extra logger before Prefect is imported: when a
    run sets up Prefect's logging, the stage loggers get its handlers (console and the run's API log)."""
    code = ("import flows, logging; from prefect.logging.configuration import setup_logging; "
            "setup_logging(); print(sorted(type(h).__name__ for h in logging.getLogger('mediawatch').handlers))")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_LOGGING_EXTRA_LOGGERS"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "APILogHandler" in out, out


def test_verbose_and_quiet_exclude_each_other():
    from typer.testing import CliRunner

    from flows.cli import app

    r = CliRunner().invoke(app, ["-v", "-q", "sources", "list"])
    assert r.exit_code == 2 and "exclude each other" in r.output
