"""The morning flows: the secretariat's digest with the five daily briefs, and the weekly briefs.

1. pick the day (Gregorian or Jalali);  2. build and archive the digest (or briefs) through
digests/;  3. publish each as a markdown artifact with a stable key;  4. e-mail when asked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from mediawatch.settings import get_settings
from mediawatch.timeutil import parse_date_arg, tehran_today

DIGEST_KEY = "morning-digest"


def artifact_key(prefix: str, group: str | None) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return f"{prefix}-{group}".replace("_", "-").lower() if group else prefix


def _day(day: str | date | None) -> date:
    if day is None:
        return tehran_today()
    return day if isinstance(day, date) else parse_date_arg(day)


def _out(out_dir: str | None) -> Path:
    return Path(out_dir) if out_dir else get_settings().digest_root


@flow(name="morning-digest", log_prints=True)
def morning_digest(day: str | None = None, db_url: str | None = None, out_dir: str | None = None,
                   send: bool = False, briefs: bool = True) -> list[str]:
    """The secretariat's morning digest and each working group's daily brief."""
    from digests.render import render_markdown
    from digests.run import make_briefs, make_morning_digest
    from storage import open_store

    logger = get_run_logger()
    the_day, out = _day(day), _out(out_dir)
    store = open_store(db_url)
    try:
        digest = make_morning_digest(store, the_day, out_dir=out, send=send)
        create_markdown_artifact(key=DIGEST_KEY, markdown=render_markdown(digest.doc),
                                 description="The secretariat's morning digest")
        paths = [str(p) for p in digest.paths]
        if briefs:
            for brief in make_briefs(store, the_day, out_dir=out, weekly=False, send=send):
                create_markdown_artifact(key=artifact_key("daily-brief", brief.group),
                                         markdown=render_markdown(brief.doc))
                paths += [str(p) for p in brief.paths]
    finally:
        store.close()
    logger.info("morning digest for %s: %d file(s) in %s", the_day, len(paths), out)
    return paths


@flow(name="weekly-briefs", log_prints=True)
def weekly_briefs(day: str | None = None, db_url: str | None = None, out_dir: str | None = None,
                  send: bool = False) -> list[str]:
    """Each chair's weekly brief: the week against the previous one, recurring issues, every article."""
    from digests.render import render_markdown
    from digests.run import make_briefs
    from storage import open_store

    the_day, out = _day(day), _out(out_dir)
    store = open_store(db_url)
    paths: list[str] = []
    try:
        for brief in make_briefs(store, the_day, out_dir=out, weekly=True, send=send):
            create_markdown_artifact(key=artifact_key("weekly-brief", brief.group),
                                     markdown=render_markdown(brief.doc))
            paths += [str(p) for p in brief.paths]
    finally:
        store.close()
    return paths
