"""Stage loggers: each stage logs to `mediawatch.<stage>` (`mediawatch.scrapers`, `mediawatch.nlp`, …).

Prefect shows them beside its own lines, in the terminal and in the run's logs on the server, because
`flows/` names the `mediawatch` logger in PREFECT_LOGGING_EXTRA_LOGGERS. Outside a flow, `--verbose` and
`--quiet` on the command line set how much of them reaches stderr (`set_verbosity`).
"""

from __future__ import annotations

import logging
import os

ROOT = "mediawatch"
STAGES = ("scrapers", "storage", "nlp", "digests", "web", "flows", "demo")


def stage_logger(stage: str) -> logging.Logger:
    """The logger of one stage (one of STAGES)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: one of {', '.join(STAGES)}")
    return logging.getLogger(f"{ROOT}.{stage}")


class _UntilPrefect(logging.StreamHandler):
    """Writes the stages' lines to stderr until Prefect attaches its own console handler to the same
    logger (when a flow first imports it); from then on Prefect's handler writes them, once."""

    def emit(self, record: logging.LogRecord) -> None:
        if not any(h is not self for h in logging.getLogger(ROOT).handlers):
            super().emit(record)


def set_verbosity(verbose: bool = False, quiet: bool = False) -> None:
    """How much the stages say on stderr (stdout stays for results and --json).

    Neither flag: inside a flow, the stages' INFO lines with Prefect's; elsewhere warnings and errors only.
    --verbose: the stages' DEBUG lines everywhere, and Prefect's INFO. --quiet: warnings and errors only,
    Prefect's too. Call before Prefect is imported (the command line does): it reads its level once.
    """
    root = logging.getLogger(ROOT)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    if verbose and not any(isinstance(h, _UntilPrefect) for h in root.handlers):
        handler = _UntilPrefect()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
        root.addHandler(handler)
    if verbose or quiet:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO" if verbose else "WARNING"
