"""The nightly flow: collect every outlet, store, understand. Prefect wiring over flows/steps.py.

1. load the sources and record them;  2. collect each source (a task per source, retried with
backoff, all sources at once, their requests bounded together by one set of request slots and each
source by its time budget);  3. analyse every new article;  4. group stories;  5. save the run report
(a markdown and a table artifact with stable keys) — and fail loudly if nothing could be collected.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.exceptions import TerminationSignal
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from flows import steps
from flows.exitcodes import NightFailed
from mediawatch.records import Source, SourceReport
from mediawatch.settings import get_settings
from mediawatch.text import short_message
from mediawatch.timeutil import TEHRAN, tehran_midnight, utcnow
from scrapers.slots import Slots

RUN_REPORT_KEY = "nightly-run-report"
RUN_TABLE_KEY = "nightly-run-table"
# Source tasks run on threads, every source at once (38 in sources.toml): a source mostly waits — for
# its host's interval, for a request slot, for the network — so a thread each costs little, and no
# source queues behind a slow one (each is bounded by its time budget). Requests in flight are bounded
# by the shared Slots, not by threads; 64 only caps Prefect's default (unbounded) pool.
SOURCE_THREADS = 64
# A source that failed as a whole (dead site, broken feed) is tried twice more, 30 s then 60 s later
# (plus jitter): enough to ride out a restart, short enough to finish the night on time.
SOURCE_RETRIES = 2
SOURCE_BACKOFF_S = 30


class SourceFailed(Exception):
    """A whole source failed; raised inside the task so that Prefect retries it."""

    def __init__(self, report: SourceReport) -> None:
        super().__init__(f"{report.source_id}: {report.fatal}")
        self.report = report


# When each source's budget started in a run: its retries spend the rest of the same budget.
_budget_started: dict[tuple[int, str], float] = {}
_budget_lock = threading.Lock()


def _remaining_budget(run_id: int, source: Source) -> float:
    budget = source.budget_s or get_settings().source_budget_s
    with _budget_lock:
        started = _budget_started.setdefault((run_id, source.id), time.monotonic())
    return budget - (time.monotonic() - started)


def _open(db_url: str | None):
    from storage import open_store

    return open_store(db_url)


@task(
    name="collect-source",
    task_run_name="collect-{source.id}",
    retries=SOURCE_RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=SOURCE_BACKOFF_S),
    retry_jitter_factor=0.5,
    cache_policy=NONE,
)
def collect_source(source: Source, run_id: int, since: datetime | None, db_url: str | None,
                   allow_private: bool, slots: Slots | None = None, robots_cache_hours: float = 0.0) -> SourceReport:
    """Collect one source within what is left of its time budget; a source down for another reason is
    raised (so Prefect retries it), one whose budget ran out is not (a retry would only spend more)."""
    budget = _remaining_budget(run_id, source)
    if budget <= 1.0:
        return SourceReport(source_id=source.id, budget_spent=True, fatal=(
            f"its time budget of {source.budget_s or get_settings().source_budget_s:g} s ran out over its retries; "
            "it is tried again next run"))
    store = _open(db_url)
    try:
        report = steps.collect_one(source, store, run_id=run_id, since=since, settings=get_settings(),
                                   allow_private=allow_private, slots=slots, budget_s=budget,
                                   robots_cache_hours=robots_cache_hours)
    finally:
        store.close()
    if report.fatal and not report.budget_spent:
        raise SourceFailed(report)
    return report


@task(name="analyse-new-articles", cache_policy=NONE)
def analyse(db_url: str | None) -> tuple[int, str, str]:
    """(articles analysed, model version, why the encoder was not used or "")."""
    from nlp.analyze import Analyzer
    from nlp.models_registry import active_model_dir

    analyzer = Analyzer.load(active_model_dir())  # the version `mediawatch model use` chose, else the shipped one
    if analyzer.fallback:
        get_run_logger().warning("analysis without the encoder: %s", analyzer.fallback)
    store = _open(db_url)
    try:
        return steps.analyse_step(store, analyzer), analyzer.model_version, analyzer.fallback or ""
    finally:
        store.close()


@task(name="group-stories", cache_policy=NONE)
def cluster(db_url: str | None) -> int:
    store = _open(db_url)
    try:
        return steps.cluster_step(store)
    finally:
        store.close()


def load_sources(sources_file: str | None, source_ids: list[str] | None) -> list[Source]:
    """The enabled sources of the file, or those named (enabled or not, as `collect` does), validated by
    the registry; an unknown id is a `RegistryError` naming it."""
    from scrapers.registry import load_sources as load
    from scrapers.registry import select_sources

    sources = select_sources(load(Path(sources_file) if sources_file else None), source_ids)
    return sources if source_ids else [s for s in sources if s.enabled]  # a named source is asked for


def _since(since: datetime | date | None) -> datetime | None:
    """A day means Tehran midnight; a naive time is Tehran wall-clock time (as typed in the Prefect UI)."""
    if since is None or isinstance(since, datetime):
        return since.replace(tzinfo=TEHRAN) if since is not None and since.tzinfo is None else since
    return tehran_midnight(since)


# Missed nights: a source last collected longer ago than this is read back to that run (listings and
# sitemaps too, as with --since), since what a feed held then may have scrolled off it; at most
# CATCH_UP_MAX back. A night a day late is still inside the window and costs nothing extra.
CATCH_UP_AFTER = timedelta(hours=30)
CATCH_UP_MAX = timedelta(days=14)
CATCH_UP_MARGIN = timedelta(hours=1)  # items published just before that run started


def catch_up_since(last_collected: Mapping[str, datetime], sources: list[Source], now: datetime) -> dict[str, datetime]:
    """Per source missed for longer than CATCH_UP_AFTER: the time to collect from (never before
    now − CATCH_UP_MAX). A source never collected before is not caught up: its feed is all there is."""
    out = {}
    for s in sources:
        last = last_collected.get(s.id)
        if last is not None and now - last > CATCH_UP_AFTER:
            out[s.id] = max(last - CATCH_UP_MARGIN, now - CATCH_UP_MAX)
    return out


def collect_all_sources(task_: Any, sources: list[Source], run_id: int, since: datetime | None,
                        db_url: str | None, allow_private: bool, reports: list[SourceReport], *,
                        robots_cache_hours: float = 0.0, since_by_source: Mapping[str, datetime] | None = None) -> None:
    """Run `task_` (collect_source, perhaps with other retries) for every source at once, sharing one set
    of request slots (GLOBAL_CONCURRENCY); one report per source, a failed task's included, appended to
    `reports` as each ends (a run stopped half-way records the reports it has). `since_by_source` gives
    some sources their own start (a catch-up) where `since` is None."""
    logger = get_run_logger()
    slots = Slots(get_settings().global_concurrency)
    own = since_by_source or {}
    futures = [task_.submit(s, run_id, since if since is not None else own.get(s.id), db_url, allow_private, slots,
                            robots_cache_hours) for s in sources]
    for source, fut in zip(sources, futures, strict=True):
        value = fut.result(raise_on_failure=False)
        if isinstance(value, SourceReport):
            reports.append(value)
            continue
        report = value.report if isinstance(value, SourceFailed) else SourceReport(
            source_id=source.id, fatal=f"{type(value).__name__}: {value}")
        reports.append(report)
        logger.warning("source %s failed: %s", source.id, short_message(report.fatal))


# Typed as the base class: Prefect's decorator wants TaskRunner[PrefectFuture], which the thread runner
# is, though its own generic parameter says PrefectConcurrentFuture.
_SOURCE_RUNNER: TaskRunner[Any] = ThreadPoolTaskRunner(max_workers=SOURCE_THREADS)


@flow(name="nightly", log_prints=True, task_runner=_SOURCE_RUNNER)
def nightly(
    since: datetime | date | None = None,
    source_ids: list[str] | None = None,
    db_url: str | None = None,
    sources_file: str | None = None,
    allow_private: bool = False,
) -> steps.NightlyResult:
    """Collect, store and understand everything the outlets published since the last run."""
    logger = get_run_logger()
    since = _since(since)
    # 1. sources
    sources = load_sources(sources_file, source_ids)
    store = _open(db_url)
    catch_up: dict[str, datetime] = {}

    def params() -> dict[str, Any]:
        """Under the run lock: the outlets missed for more than CATCH_UP_AFTER, read back to their last night."""
        if since is None:
            catch_up.update(catch_up_since(store.last_collected("nightly"), sources, utcnow()))
        return {"since": since.isoformat() if since else None, "sources": [s.id for s in sources],
                **({"catch_up": {k: v.isoformat() for k, v in catch_up.items()}} if catch_up else {})}

    # One night at a time on a database (`mediawatch nightly` by hand while the scheduled one runs, or on
    # another worker): a second would fetch every outlet twice. The lock dies with its process.
    run_id, lock = steps.begin_run(store, "nightly", sources, params)
    for source_id, start in sorted(catch_up.items()):
        logger.warning("source %s was not collected for more than %d hours (missed nights): its listings are read "
                       "back to %s", source_id, CATCH_UP_AFTER.total_seconds() // 3600, start.isoformat(timespec="minutes"))
    result = steps.NightlyResult(run_id=run_id, started_at=utcnow())
    try:
        store.prune_fetch_log()  # the per-URL trail of fetches older than FETCH_LOG_KEEP (~90 days)
        # 2. collect, one task per source; one set of request slots for them all (GLOBAL_CONCURRENCY)
        collect_all_sources(collect_source, sources, run_id, since, db_url, allow_private, result.reports,
                            since_by_source=catch_up)
        # 3. understand, 4. stories
        result.analysed, result.model_version, result.analysis_fallback = analyse(db_url)
        result.clusters = cluster(db_url)
    except BaseException as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        # stopped from outside (SIGTERM, Ctrl-C) rather than broken: recorded as interrupted
        result.interrupted = isinstance(exc, KeyboardInterrupt | SystemExit | TerminationSignal)
        raise
    finally:
        # 5. the run report, whatever happened above
        result.finished_at = utcnow()
        steps.end_run(store, lock, run_id, status=result.status, reports=result.reports, summary=result.summary())
        create_markdown_artifact(key=RUN_REPORT_KEY, markdown=steps.run_report_markdown(result, sources),
                                 description="Per source: found, new, failed and why")
        create_table_artifact(key=RUN_TABLE_KEY, table=steps.run_report_rows(result, sources),
                              description=f"Nightly run #{run_id} ({result.status}): per source state, found, new, failed and why")
        with _budget_lock:
            for key in [k for k in _budget_started if k[0] == run_id]:
                del _budget_started[key]
    logger.info("nightly run %s: %s found, %s new, %s analysed, %s failed source(s)",
                run_id, result.found, result.new, result.analysed, len(result.failed_sources))
    if result.status == "failed":  # every source failed (a crash above has already been raised)
        raise NightFailed(f"every source failed in run {run_id}; see the '{RUN_REPORT_KEY}' artifact for why")
    return result
