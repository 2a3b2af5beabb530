"""The nightly flow: collect every outlet, store, understand. Prefect wiring over flows/steps.py.

1. load the sources and record them;  2. collect each source (a task per source, retried with
backoff);  3. analyse every new article;  4. group stories;  5. save the run report (a markdown
artifact with a stable key) — and fail loudly if nothing could be collected.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.exceptions import TerminationSignal
from prefect.tasks import exponential_backoff

from flows import steps
from flows.exitcodes import NightFailed
from mediawatch.records import Source, SourceReport
from mediawatch.settings import get_settings
from mediawatch.text import short_message
from mediawatch.timeutil import TEHRAN, tehran_midnight, utcnow

RUN_REPORT_KEY = "nightly-run-report"
# A source that failed as a whole (dead site, broken feed) is tried twice more, 30 s then 60 s later
# (plus jitter): enough to ride out a restart, short enough to finish the night on time.
SOURCE_RETRIES = 2
SOURCE_BACKOFF_S = 30


class SourceFailed(Exception):
    """A whole source failed; raised inside the task so that Prefect retries it."""

    def __init__(self, report: SourceReport) -> None:
        super().__init__(f"{report.source_id}: {report.fatal}")
        self.report = report


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
                   allow_private: bool) -> SourceReport:
    store = _open(db_url)
    try:
        report = steps.collect_one(
            source, store, run_id=run_id, since=since, settings=get_settings(), allow_private=allow_private
        )
    finally:
        store.close()
    if report.fatal:
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


@flow(name="nightly", log_prints=True)
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
    store.sync_sources(sources)
    run_id = store.start_run("nightly", {"since": since.isoformat() if since else None,
                                         "sources": [s.id for s in sources]})
    result = steps.NightlyResult(run_id=run_id, started_at=utcnow())
    try:
        # 2. collect, one task per source
        futures = [collect_source.submit(s, run_id, since, db_url, allow_private) for s in sources]
        for source, fut in zip(sources, futures, strict=True):
            value = fut.result(raise_on_failure=False)
            if isinstance(value, SourceReport):
                result.reports.append(value)
                continue
            report = value.report if isinstance(value, SourceFailed) else SourceReport(
                source_id=source.id, fatal=f"{type(value).__name__}: {value}")
            result.reports.append(report)
            logger.warning("source %s failed: %s", source.id, short_message(report.fatal))
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
        store.finish_run(run_id, status=result.status, reports=result.reports, summary=result.summary())
        store.close()
        create_markdown_artifact(key=RUN_REPORT_KEY, markdown=steps.run_report_markdown(result, sources),
                                 description="Per source: found, new, failed and why")
    logger.info("nightly run %s: %s found, %s new, %s analysed, %s failed source(s)",
                run_id, result.found, result.new, result.analysed, len(result.failed_sources))
    if result.status == "failed":  # every source failed (a crash above has already been raised)
        raise NightFailed(f"every source failed in run {run_id}; see the '{RUN_REPORT_KEY}' artifact for why")
    return result
