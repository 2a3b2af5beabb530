"""The morning flows: the secretariat's digest with the five daily briefs, and the weekly briefs.

1. pick the day (Gregorian or Jalali);  2. build and archive the digest (or briefs) through
digests/;  3. publish each as a markdown artifact with a stable key;  4. e-mail when asked: each
e-mail (the secretariat's digest, each chair's brief) is its own retried task, so one that fails
(a full mailbox, a refused address) does not stop the others; the flow then fails naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE

from digests.errors import DeliveryError
from mediawatch.settings import get_settings
from mediawatch.timeutil import parse_date_arg, tehran_today

if TYPE_CHECKING:
    from digests.run import DigestResult

DIGEST_KEY = "morning-digest"
# An e-mail that failed is tried twice more, 1 then 5 minutes later: enough for a mail server that
# restarts or throttles, and the chairs still have their briefs well before the working day starts.
MAIL_RETRIES = 2
MAIL_RETRY_DELAYS_S: list[float] = [60, 300]


@task(name="send-email", task_run_name="send-{what}", retries=MAIL_RETRIES, retry_delay_seconds=MAIL_RETRY_DELAYS_S,
      cache_policy=NONE)
def send_document(what: str, result: DigestResult, recipients: list[str]) -> list[str]:
    """E-mail one digest or brief to its recipients (the password from the env or the Prefect Secret block)."""
    from digests.deliver import send_email
    from flows.secrets import with_smtp_password

    send_email(result.doc, recipients, with_smtp_password(get_settings()))
    return recipients


def send_all(results: Sequence[DigestResult]) -> None:
    """E-mail each document as its own task (the digest to the secretariat, each brief to its chair), wait
    for all, record who got what; DeliveryError naming every one that failed after its retries."""
    from digests.deliver import recipients_for

    settings = get_settings()
    if not settings.smtp_host:  # nothing can be sent: said at once, not retried per e-mail
        raise DeliveryError("no SMTP server: set MEDIAWATCH_SMTP_HOST (and _PORT, _USER, _PASSWORD); the files are archived")
    logger = get_run_logger()
    sends, failed = [], []
    for result in results:
        what = "digest" if result.group is None else f"brief-{result.group}".replace("_", "-")
        recipients = recipients_for(settings, "secretariat" if result.group is None else result.group)
        if not recipients:
            if result.group is None:
                failed.append(f"{what}: no recipients: set \"secretariat\" in MEDIAWATCH_RECIPIENTS")
            else:  # a group without a chair's address is skipped, not an error
                logger.info("%s not e-mailed: no address for %s in MEDIAWATCH_RECIPIENTS", what, result.group)
            continue
        sends.append((what, result, send_document.submit(what, result, recipients)))
    for what, result, future in sends:
        outcome = future.result(raise_on_failure=False)
        if isinstance(outcome, BaseException):
            failed.append(f"{what}: {outcome}")
        else:
            result.sent_to = list(outcome)
    if failed:
        raise DeliveryError(f"{len(failed)} e-mail(s) not sent (the others were): " + " | ".join(failed)
                            + " — the files are archived; fix it and send again with `mediawatch digest --send`")


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
        digest = make_morning_digest(store, the_day, out_dir=out)
        create_markdown_artifact(key=DIGEST_KEY, markdown=render_markdown(digest.doc),
                                 description="The secretariat's morning digest")
        made = [digest]
        if briefs:
            for brief in make_briefs(store, the_day, out_dir=out, weekly=False):
                create_markdown_artifact(key=artifact_key("daily-brief", brief.group),
                                         markdown=render_markdown(brief.doc))
                made.append(brief)
    finally:
        store.close()
    paths = [str(p) for result in made for p in result.paths]
    logger.info("morning digest for %s: %d file(s) in %s", the_day, len(paths), out)
    if send:
        send_all(made)
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
    try:
        made = make_briefs(store, the_day, out_dir=out, weekly=True)
        for brief in made:
            create_markdown_artifact(key=artifact_key("weekly-brief", brief.group),
                                     markdown=render_markdown(brief.doc))
    finally:
        store.close()
    if send:
        send_all(made)
    return [str(p) for brief in made for p in brief.paths]
