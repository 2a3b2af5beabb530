"""The hourly pulse: collect the local outlets, understand what is new, raise and deliver alerts.

1. load the local sources (scope in MEDIAWATCH_PULSE_SCOPES: rasht and gilan);  2. collect each (a task
per source, as the nightly does, with the same politeness: feeds are fetched conditionally, so an idle
hour costs each outlet its feed request answered 304, plus robots.txt);  3. analyse the new articles
and regroup the last days' stories;  4. run the alert rule (nlp/alerts.py) and store what changed;
5. deliver each due alert: e-mail and webhook, each its own task;  6. the run report (artifact
`pulse-run-report`). A delivery that failed is retried by the next pulse, and fails this run loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture

from flows import alerting, steps
from flows.nightly import analyse, collect_all_sources, collect_source, load_sources
from mediawatch.records import SourceReport
from mediawatch.settings import get_settings
from mediawatch.text import md_escape
from mediawatch.timeutil import format_jalali_datetime, utcnow

PULSE_KIND = "pulse"
PULSE_REPORT_KEY = "pulse-run-report"
# A source that failed as a whole is tried once more 30 s later; the next hour tries again anyway.
PULSE_SOURCE_RETRIES = 1
PULSE_SOURCE_BACKOFF_S = 30
# Stories are regrouped over the last 3 days each hour (a story keeps its key across runs, so its older
# reports stay in it); the nightly run regroups the whole 14-day window.
PULSE_CLUSTER_DAYS = 3
# An e-mail that failed is tried twice more, 30 s and 60 s later, before the run gives up on it.
EMAIL_RETRIES = 2
EMAIL_RETRY_DELAYS_S: list[float] = [30, 60]


@dataclass(slots=True)
class PulseResult:
    run_id: int
    started_at: datetime
    reports: list[SourceReport] = field(default_factory=list)
    analysed: int = 0
    alerts: alerting.AlertRound = field(default_factory=alerting.AlertRound)
    delivered: dict[str, list[str]] = field(default_factory=dict)  # key → channels delivered this run
    failures: dict[str, str] = field(default_factory=dict)  # key → what failed
    error: str = ""

    @property
    def new(self) -> int:
        return sum(r.new for r in self.reports)

    @property
    def status(self) -> str:
        if self.error or (self.reports and all(r.fatal for r in self.reports)):
            return "failed"
        return "partial" if self.failures or any(r.fatal or r.failed for r in self.reports) else "ok"


def _open(db_url: str | None):
    from storage import open_store

    return open_store(db_url)


@task(name="group-stories-recent", cache_policy=NONE)
def cluster_recent(db_url: str | None, now: datetime | None) -> int:
    store = _open(db_url)
    try:
        return steps.cluster_step(store, now=now, window_days=PULSE_CLUSTER_DAYS)
    finally:
        store.close()


@task(name="evaluate-alerts", cache_policy=NONE)
def evaluate_alerts(db_url: str | None, now: datetime | None) -> alerting.AlertRound:
    store = _open(db_url)
    try:
        return alerting.evaluate_step(store, now=now, settings=get_settings())
    finally:
        store.close()


@task(name="email-alert", task_run_name="email-alert-{key}", retries=EMAIL_RETRIES,
      retry_delay_seconds=EMAIL_RETRY_DELAYS_S, cache_policy=NONE)
def email_alert(key: str, db_url: str | None) -> list[str]:
    store = _open(db_url)
    try:
        return alerting.email_step(store, key, settings=get_settings())
    finally:
        store.close()


@task(name="webhook-alert", task_run_name="webhook-alert-{key}", cache_policy=NONE)
def webhook_alert(key: str, db_url: str | None) -> int:
    """post_webhook retries within the task (1 s, 2 s); Prefect does not retry it again."""
    store = _open(db_url)
    try:
        return alerting.webhook_step(store, key, settings=get_settings())
    finally:
        store.close()


def report_markdown(result: PulseResult) -> str:
    """The pulse's run report: per source new / failed, the alerts opened, held, delivered and failed."""
    a = result.alerts
    lines = [
        f"# mediawatch pulse #{result.run_id} — {result.status}",
        "",
        f"Started {result.started_at:%Y-%m-%d %H:%M} UTC ({format_jalali_datetime(result.started_at)}).",
        f"New articles {result.new}, analysed {result.analysed}. Alerts: {len(a.opened)} opened, "
        f"{len(a.updated)} updated, {len(a.closed)} closed, {len(a.held)} held by quiet hours, "
        f"{len(result.delivered)} delivered.",
        "",
        "| source | new | failed | why |",
        "|---|---:|---:|---|",
    ]
    for r in sorted(result.reports, key=lambda r: (not (r.fatal or r.failed), r.source_id)):
        lines.append(f"| {r.source_id} | {r.new} | {r.failed} | {md_escape(r.fatal or '; '.join(r.errors[:2]))} |")
    if a.opened:
        lines += ["", "**Alerts opened:** " + ", ".join(md_escape(k) for k in a.opened)]
    for key, why in result.failures.items():
        lines += ["", f"**Alert {md_escape(key)} not delivered:** {md_escape(why)} It is retried at the next pulse."]
    if result.error:
        lines += ["", f"**The pulse failed:** {md_escape(result.error)}"]
    return "\n".join(lines) + "\n"


@flow(name="pulse", log_prints=True)
def pulse(db_url: str | None = None, sources_file: str | None = None, allow_private: bool = False,
          now: datetime | None = None, collect: bool = True) -> PulseResult:
    """Every hour: collect the local outlets, analyse what is new, raise and deliver early-warning alerts."""
    logger = get_run_logger()
    settings = get_settings()
    scopes = set(settings.pulse_scopes)
    sources = [s for s in load_sources(sources_file, None) if str(s.scope) in scopes] if collect else []
    store = _open(db_url)
    # One pulse at a time (`mediawatch pulse` by hand during the hourly one): two would send each due alert
    # twice. RunInProgress names the other; the lock dies with its process.
    run_id, lock = steps.begin_run(store, PULSE_KIND, sources,
                                   lambda: {"sources": [s.id for s in sources], "scopes": sorted(scopes)})
    result = PulseResult(run_id=run_id, started_at=utcnow())
    try:
        task_ = collect_source.with_options(retries=PULSE_SOURCE_RETRIES, retry_delay_seconds=PULSE_SOURCE_BACKOFF_S)
        collect_all_sources(task_, sources, run_id, None, db_url, allow_private, result.reports,
                            robots_cache_hours=settings.pulse_robots_cache_hours)
        # The analyser (and its encoder) is loaded only when there is something to analyse: most hours there is not.
        recent = store.count_unanalysed(result.started_at - timedelta(days=2), result.started_at + timedelta(days=1))
        if result.new or recent:
            result.analysed, _version, _fallback = analyse(db_url)
            cluster_recent(db_url, now)
        result.alerts = evaluate_alerts(db_url, now)
        for key in result.alerts.due:
            channels = []
            sends: list[tuple[str, PrefectFuture[Any]]] = [
                ("e-mail", email_alert.submit(key, db_url)), ("webhook", webhook_alert.submit(key, db_url))]
            for name, sent in sends:
                value = sent.result(raise_on_failure=False)
                if isinstance(value, BaseException):
                    result.failures[key] = (result.failures.get(key, "") + f" {name}: {value}").strip()
                    logger.error("alert %s: %s not delivered: %s", key, name, value)
                else:
                    channels.append(name)
            if channels:
                result.delivered[key] = channels
    except BaseException as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary = {"new": result.new, "analysed": result.analysed, "alerts_opened": result.alerts.opened,
                   "alerts_due": result.alerts.due, "alerts_held": result.alerts.held,
                   "delivery_failures": result.failures, **({"error": result.error} if result.error else {})}
        steps.end_run(store, lock, run_id, status=result.status, reports=result.reports, summary=summary)
        create_markdown_artifact(key=PULSE_REPORT_KEY, markdown=report_markdown(result),
                                 description="The hourly pulse: local outlets, alerts opened and delivered")
    logger.info("pulse %s: %s new, %s alert(s) opened, %s delivered, %s held", run_id, result.new,
                len(result.alerts.opened), len(result.delivered), len(result.alerts.held))
    if result.failures:
        raise RuntimeError(f"{len(result.failures)} alert(s) could not be delivered (see the '{PULSE_REPORT_KEY}' "
                           "artifact); they are stored and retried at the next pulse")
    return result
