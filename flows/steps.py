"""The nightly job as plain steps: collect → analyse → cluster → report. No Prefect here.

flows/nightly.py wraps these steps in Prefect tasks (retries, artifacts, schedules); the CLI and the
tests can run them directly. Each step reads and writes only through the storage API.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mediawatch.records import Article, Source, SourceReport
from mediawatch.settings import Settings
from mediawatch.text import md_escape, short_message
from mediawatch.timeutil import format_jalali_datetime, utcnow

# Stories are grouped over the last 14 days: long enough that a complaint raised last week and
# raised again today lands in the same cluster ("continuing"), short enough to stay fast.
CLUSTER_WINDOW_DAYS = 14
# Articles are analysed in batches of 256: large enough for vectorised classification, small enough
# that a crash loses at most one batch of (recomputable) work.
ANALYSE_BATCH = 256

Progress = Callable[[int], None]


@dataclass(slots=True)
class NightlyResult:
    """What one night produced; saved as the run report."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None = None
    reports: list[SourceReport] = field(default_factory=list)
    analysed: int = 0
    clusters: int = 0
    model_version: str = ""
    # Why the analysis ran without the encoder (sparse fallback), "" when it had it: said in the report
    # and the digest, so a weaker night is never mistaken for a normal one.
    analysis_fallback: str = ""
    error: str = ""  # set when a step after collection crashed: the night failed
    interrupted: bool = False  # stopped from outside (SIGTERM, Ctrl-C) before it finished

    @property
    def found(self) -> int:
        return sum(r.found for r in self.reports)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.reports)

    @property
    def failed_sources(self) -> list[SourceReport]:
        return [r for r in self.reports if r.state != "ok"]

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        if self.error or (self.reports and all(r.fatal for r in self.reports)):
            return "failed"
        return "partial" if self.failed_sources else "ok"

    def summary(self) -> dict:
        return {
            "found": self.found,
            "new": self.new,
            "failed_sources": [r.source_id for r in self.failed_sources],
            # Sources stopped by their time budget (slow or hanging sites): partial or down, see their reports.
            **({"over_budget": over} if (over := [r.source_id for r in self.reports if r.budget_spent]) else {}),
            "analysed": self.analysed,
            "clusters": self.clusters,
            "model_version": self.model_version,
            **({"analysis_fallback": self.analysis_fallback} if self.analysis_fallback else {}),
            **({"error": self.error} if self.error else {}),
        }


def collect_one(
    source: Source,
    store,
    *,
    run_id: int,
    since: datetime | None,
    settings: Settings,
    allow_private: bool,
    slots=None,  # scrapers.slots.Slots shared with the run's other sources (None: its own)
    budget_s: float | None = None,
    robots_cache_hours: float = 0.0,
) -> SourceReport:
    """Collect one source into the store; never raises for a site's failure (it is in the report).
    `robots_cache_hours` > 0 reuses a robots.txt read by an earlier run for that long (the hourly pulse)."""
    from scrapers.collect import collect_all
    from scrapers.robots import RobotsCache

    sink = store.bind_run(run_id)
    reports = asyncio.run(
        collect_all([source], state=sink, sink=sink, since=since, settings=settings, allow_private=allow_private,
                    slots=slots, budget_s=budget_s,
                    robots_cache=RobotsCache(settings.cache_dir / "robots", robots_cache_hours * 3600)
                    if robots_cache_hours > 0 else None)
    )
    return reports[0] if reports else SourceReport(source_id=source.id, skipped=1)


def begin_run(store, kind: str, sources: Sequence[Source], params: Callable[[], dict[str, Any]]) -> tuple[int, Any]:
    """Take `kind`'s run lock, record the sources and start the run: (run id, the lock to release in
    `end_run`). One run of a kind at a time on a database: another one holding the lock is RunInProgress
    (exit 3), and the store is closed. `params` are computed once the lock is held."""
    with contextlib.ExitStack() as opened:  # closed here only if the run cannot start; else by end_run
        opened.callback(store.close)
        lock = opened.enter_context(store.run_lock(kind))
        store.sync_sources(sources)
        run_id = store.start_run(kind, params())
        opened.pop_all()
    return run_id, lock


def end_run(store, lock, run_id: int, *, status: str, reports: Sequence[SourceReport], summary: dict[str, Any]) -> None:
    """Record the run's end, then release its lock and close the store, whatever the recording did."""
    try:
        store.finish_run(run_id, status=status, reports=reports, summary=summary)
    finally:
        lock.release()
        store.close()


def analyse_step(store, analyzer, *, progress: Progress | None = None, batch: int = ANALYSE_BATCH) -> int:
    """Analyse every stored article that has no analysis by this model version; returns how many."""
    done = 0
    pending: list[tuple[int, Article]] = []

    def flush() -> None:
        nonlocal done
        if not pending:
            return
        ids = [i for i, _ in pending]
        # A vector stored by an earlier analysis (before a retrain) is reused: never encode twice.
        stored = store.embeddings(ids, encoder=analyzer.encoder_name) if analyzer.encoder_name else {}
        analyses = analyzer.analyze_many([(a.title, a.body, a.lead) for _, a in pending],
                                         vectors=[stored.get(i) for i in ids])
        store.save_analyses(zip((i for i, _ in pending), analyses, strict=True))
        done += len(pending)
        if progress:
            progress(len(pending))
        pending.clear()

    for article_id, article in store.articles_to_analyse(analyzer.model_version):
        pending.append((article_id, article))
        if len(pending) >= batch:
            flush()
    flush()
    return done


def cluster_step(store, *, now: datetime | None = None, window_days: int = CLUSTER_WINDOW_DAYS) -> int:
    """Group the window's articles into stories and mark duplicates; returns the number of stories."""
    from nlp.dedup import carry_keys, cluster_stories

    now = now or utcnow()
    items = store.cluster_items(now - timedelta(days=window_days), now + timedelta(days=1))
    # A story keeps its key from earlier nights even after its first report leaves the window.
    clusters = carry_keys(cluster_stories(items), store.cluster_keys(i.article_id for i in items),
                          store.cluster_key_set())
    store.save_clusters(clusters)
    return len(clusters)


# A reason in the table artifact is cut here: the full messages are in the fetch log and the markdown report.
WHY_MAX_CHARS = 500


def _by_attention(reports: Iterable[SourceReport]) -> list[SourceReport]:
    """Down first, then partial, then ok; by id within each."""
    order = {"down": 0, "partial": 1, "ok": 2}
    return sorted(reports, key=lambda r: (order[r.state], r.source_id))


def _why(r: SourceReport) -> str:
    """Why a source needs attention, in one line (each message's URLs shortened)."""
    return short_message(r.fatal or "; ".join(short_message(e) for e in r.errors[:3]))


def run_report_rows(result: NightlyResult, sources: Iterable[Source] = ()) -> list[dict[str, object]]:
    """The run report as table rows (the Prefect table artifact): one per source, those needing attention first."""
    names = {s.id: s.name for s in sources}
    rows: list[dict[str, object]] = []
    for r in _by_attention(result.reports):
        why = _why(r)
        rows.append({"source": r.source_id, "name": names.get(r.source_id, ""), "state": r.state, "found": r.found,
                     "new": r.new, "failed": r.failed, "skipped": r.skipped,
                     "why": why if len(why) <= WHY_MAX_CHARS else why[: WHY_MAX_CHARS - 1] + "…"})
    return rows


def run_report_markdown(result: NightlyResult, sources: Iterable[Source] = ()) -> str:
    """The run report: per source found / new / failed and why. Read by the IT officer each morning."""
    names = {s.id: s.name for s in sources}
    started = format_jalali_datetime(result.started_at)
    lines = [
        f"# mediawatch nightly run #{result.run_id} — {result.status}",
        "",
        f"Started {result.started_at:%Y-%m-%d %H:%M} UTC ({started}).",
        f"Found {result.found}, new {result.new}, analysed {result.analysed}, "
        f"stories {result.clusters}, model {result.model_version or '-'}.",
        "",
        "| source | name | state | found | new | failed | why |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    # Error messages quote URLs and page content: remote text, escaped to stay inside its table cell.
    for r in _by_attention(result.reports):
        why = md_escape(_why(r))
        lines.append(
            f"| {r.source_id} | {names.get(r.source_id, '')} | {r.state} | {r.found} | {r.new} | {r.failed} | {why} |"
        )
    if result.analysis_fallback:
        lines += ["", f"**Analysed without the encoder (sparse fallback, lower quality):** "
                  f"{md_escape(result.analysis_fallback)}."]
    if result.failed_sources:
        lines += ["", f"**{len(result.failed_sources)} source(s) need attention** — see 'why' above."]
    if result.error:
        lines += ["", f"**The run failed after collecting:** {md_escape(short_message(result.error))}. What was collected is "
                  "stored; the next run analyses whatever is still unanalysed."]
    return "\n".join(lines) + "\n"
