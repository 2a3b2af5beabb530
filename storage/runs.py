"""Runs and the fetch log: what each night (or command) was asked, how it ended, what each fetch gave.

`RunLog` records every run with the process that runs it, so a run whose process died is marked
`interrupted` by the next one instead of staying `running` forever.
"""

from __future__ import annotations

import contextlib
import os
import socket
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.engine import Row

from mediawatch.records import FetchEvent, SourceReport
from mediawatch.text import short_message
from mediawatch.timeutil import utcnow
from storage.base import BATCH_ROWS, StoreBase, chunks
from storage.errors import RunInProgress, StoreError
from storage.schema import fetch_log, run_reports, runs

# A page dropped as not about Gilan is not fetched again for 30 days: national feeds keep an item for
# days, not months, and the look-up stays a bounded scan of the recent fetch log.
FILTERED_MEMORY_DAYS = 30
# The fetch log (one row per fetch, the hourly pulse's included: about a million rows a year) keeps this
# much; each night prunes what is older. Run reports and articles are kept; only the per-URL trail goes.
FETCH_LOG_KEEP = timedelta(days=90)
# A run still `running` this long after it started, on a machine that cannot check its process, was
# abandoned: a night lasts minutes to an hour (every source has a time budget), never a day.
ABANDONED_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run (nightly collect, digest, …) as stored."""

    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    params: dict[str, Any]
    summary: dict[str, Any] | None
    reports: tuple[SourceReport, ...] = ()


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a process, from /proc: the start time tells it
    from a later process that reuses its id. None where /proc is missing or the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()  # fields 3… (after "pid (comm)")
        return fields[0], fields[19]  # field 3 state, field 22 starttime
    except (OSError, IndexError):
        return None


def _asked(params: dict[str, Any] | None) -> dict[str, Any]:
    """A run's parameters as it was asked, without the bookkeeping `start_run` adds (its owner)."""
    return {k: v for k, v in (params or {}).items() if k != "owner"}


def _this_process() -> dict[str, Any]:
    stat = _proc_stat(os.getpid())
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": stat[1] if stat else None}


def _process_alive(pid: int, since: str | None) -> bool:
    """Is the process that recorded (pid, since) still running on this machine?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    stat = _proc_stat(pid)
    if stat is None:  # no /proc: os.kill said it exists
        return True
    state, started = stat
    return state not in ("Z", "X") and (since is None or started == since)  # a zombie is dead, not yet reaped


class RunLock:
    """One kind of run (the nightly, the pulse) at a time on a database, on any machine that uses it.

    The lock is held by the operating system or the database server, never by a row or a file's mere
    existence, so it dies with its holder however that ends (SIGKILL, a power cut): there is no stale lock
    to clear. SQLite: an exclusive `flock` on `<database file>.<kind>.lock` beside the file (it stays on
    disk, unlocked). PostgreSQL: a session advisory lock held by one connection outside any transaction;
    if the server restarts mid-run the lock goes with it and the run carries on unguarded.
    """

    def __init__(self, log: RunLog, kind: str) -> None:
        self.kind = kind
        self._fd: int | None = None
        self._conn: Connection | None = None
        key = zlib.crc32(f"mediawatch-run-{kind}".encode())
        if log.dialect == "postgresql":
            conn = log.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            except BaseException:
                conn.close()
                raise
            if not got:
                conn.close()
                raise log._run_in_progress(kind)
            self._conn, self._key = conn, key
            return
        path = log.engine.url.database
        if log.dialect != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
            return  # a private in-memory database: nobody else can run on it
        import fcntl

        fd = os.open(f"{path}.{kind}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise log._run_in_progress(kind) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        """Let the next run of this kind start (idempotent; a lost PostgreSQL connection is fine)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _report_from_row(r: Row[Any]) -> SourceReport:
    return SourceReport(source_id=r.source_id, found=r.found, new=r.new, failed=r.failed, skipped=r.skipped,
                        errors=list(r.errors or []), fatal=r.fatal)


class RunLog(StoreBase):
    """Runs with their per-source reports, and the fetch log; see docs/storage.md."""

    # --- fetch log -----------------------------------------------------------------------------
    def log_fetch(self, event: FetchEvent, *, run_id: int | None = None) -> None:
        """Append one fetch outcome to the fetch log."""
        with self._write() as c:
            c.execute(fetch_log.insert().values(run_id=run_id, source_id=event.source_id, url=event.url,
                                                status=event.status, outcome=event.outcome, error=event.error,
                                                at=event.at or utcnow(), elapsed_ms=event.elapsed_ms))

    def prune_fetch_log(self, *, now: datetime | None = None) -> int:
        """Delete fetch-log rows older than FETCH_LOG_KEEP (the nightly calls it); how many went."""
        cutoff = (now or utcnow()) - FETCH_LOG_KEEP
        with self._write() as c:
            return int(c.execute(delete(fetch_log).where(fetch_log.c.at < cutoff)).rowcount or 0)

    def fetch_log(self, *, run_id: int | None = None, source_id: str | None = None) -> list[FetchEvent]:
        """Fetch-log entries, oldest first (for reports and tests)."""
        q = select(fetch_log).order_by(fetch_log.c.id)
        if run_id is not None:
            q = q.where(fetch_log.c.run_id == run_id)
        if source_id is not None:
            q = q.where(fetch_log.c.source_id == source_id)
        with self._read() as c:
            return [FetchEvent(source_id=r.source_id, url=r.url, status=r.status, outcome=r.outcome,
                               error=r.error, at=r.at, elapsed_ms=r.elapsed_ms) for r in c.execute(q)]

    def filtered_urls(self, urls: Iterable[str]) -> set[str]:
        """The subset of `urls` a recent fetch dropped as not about Gilan (fetch-log outcome "filtered").

        The crawler skips them instead of fetching the same out-of-scope page every night while it stays
        in a national feed. Only the last FILTERED_MEMORY_DAYS count, so the scan stays bounded.
        """
        since = utcnow() - timedelta(days=FILTERED_MEMORY_DAYS)
        found: set[str] = set()
        with self._read() as c:
            for chunk in chunks(dict.fromkeys(urls), BATCH_ROWS):
                found.update(c.scalars(
                    select(fetch_log.c.url).distinct().where(
                        fetch_log.c.url.in_(chunk), fetch_log.c.outcome == "filtered", fetch_log.c.at >= since)
                ))
        return found

    # --- runs ----------------------------------------------------------------------------------
    def run_lock(self, kind: str) -> RunLock:
        """Take the lock of `kind` (`RunLock`): `RunInProgress` naming the run that holds it when another
        process has it. Release it with `.release()` or use it as a context manager."""
        return RunLock(self, kind)

    def _run_in_progress(self, kind: str) -> RunInProgress:
        with self._read() as c:
            r = c.execute(select(runs.c.id, runs.c.params, runs.c.started_at)
                          .where(runs.c.kind == kind, runs.c.status == "running")
                          .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)).first()
        who = ""
        if r is not None:
            owner = (r.params or {}).get("owner") or {}
            who = (f" (run #{r.id}, started {r.started_at:%Y-%m-%d %H:%M} UTC on {owner.get('host', '?')}, "
                   f"process {owner.get('pid', '?')})")
        return RunInProgress(
            f"another {kind} run is in progress on {self.display_url}{who}; this one did nothing. Let it "
            f"finish (or stop it), then run again — two at once would fetch every outlet twice")

    def start_run(self, kind: str, params: dict[str, Any] | None = None) -> int:
        """Record a run as started (with the process that runs it); its id.

        Runs an earlier process left `running` and that can no longer finish are marked `interrupted`
        first (`mark_abandoned_runs`), so a killed night never stays "running" forever."""
        self.mark_abandoned_runs()
        with self._write() as c:
            return int(c.execute(runs.insert().values(
                kind=kind, params={**(params or {}), "owner": _this_process()}, started_at=utcnow(),
                status="running").returning(runs.c.id)).scalar_one())

    def mark_abandoned_runs(self, *, now: datetime | None = None) -> list[int]:
        """Mark `interrupted` every run still `running` whose process is gone: on this machine, its process
        id is no longer that process; elsewhere (or unknown), it started over ABANDONED_AFTER ago. The ids."""
        now = now or utcnow()
        me = _this_process()
        with self._read() as c:
            rows = c.execute(select(runs.c.id, runs.c.params, runs.c.started_at)
                             .where(runs.c.status == "running")).all()
        gone = []
        for r in rows:
            owner = (r.params or {}).get("owner") or {}
            if owner.get("host") == me["host"] and "pid" in owner:
                if not _process_alive(int(owner["pid"]), owner.get("since")):
                    gone.append(r.id)
            elif r.started_at < now - ABANDONED_AFTER:
                gone.append(r.id)
        if gone:
            with self._write() as c:
                for run_id in gone:  # `status == running` again: a run that finished meanwhile is left alone
                    c.execute(update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(
                        status="interrupted",
                        summary={"error": "interrupted: the process running it stopped (killed, or the machine "
                                          "restarted) before it finished; what it stored is kept"}))
        return gone

    def finish_run(self, run_id: int, *, status: str, reports: Sequence[SourceReport],
                   summary: dict[str, Any] | None = None) -> None:
        """Record a run's end, its per-source reports (replacing any earlier ones) and summary."""
        with self._write() as c:
            n = c.execute(update(runs).where(runs.c.id == run_id)
                          .values(status=status, finished_at=utcnow(), summary=summary)).rowcount
            if not n:
                raise StoreError(f"no run with id {run_id}: start it with start_run()")
            c.execute(delete(run_reports).where(run_reports.c.run_id == run_id))
            rows = {r.source_id: dict(run_id=run_id, source_id=r.source_id, found=r.found, new=r.new,
                                      failed=r.failed, skipped=r.skipped,
                                      errors=[short_message(e) for e in r.errors], fatal=short_message(r.fatal))
                    for r in reports}
            if rows:
                c.execute(run_reports.insert(), list(rows.values()))

    def failed_sources(self, since: datetime, until: datetime) -> list[SourceReport]:
        """Sources whose latest report from runs started in [since, until) has a fatal error or failed pages.

        A source that failed early in the night and succeeded in a later (catch-up) run is not listed;
        reports come oldest run first, then by source id.
        """
        q = (select(run_reports).join(runs, runs.c.id == run_reports.c.run_id)
             .where(runs.c.started_at >= since, runs.c.started_at < until)
             .order_by(runs.c.started_at, runs.c.id, run_reports.c.source_id))
        with self._read() as c:
            latest = {r.source_id: (n, r) for n, r in enumerate(c.execute(q))}
        return [_report_from_row(r) for _, r in sorted(latest.values(), key=lambda x: x[0])
                if r.fatal != "" or r.failed > 0]

    def last_collected(self, kind: str = "nightly") -> dict[str, datetime]:
        """Per source: when the latest run of `kind` that reached it without a fatal error started (the
        nightly catches up from there after missed nights). A source never collected is absent."""
        q = (select(run_reports.c.source_id, func.max(runs.c.started_at))
             .join(runs, runs.c.id == run_reports.c.run_id)
             .where(runs.c.kind == kind, run_reports.c.fatal == "")
             .group_by(run_reports.c.source_id))
        with self._read() as c:
            return {source_id: started for source_id, started in c.execute(q)}

    def last_run(self, kind: str | Sequence[str]) -> RunRecord | None:
        """The most recently started run of this kind (or of any of these kinds), with its reports."""
        kinds = [kind] if isinstance(kind, str) else list(kind)
        with self._read() as c:
            r = c.execute(select(runs).where(runs.c.kind.in_(kinds))
                          .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)).first()
            if r is None:
                return None
            reps = tuple(_report_from_row(x) for x in c.execute(
                select(run_reports).where(run_reports.c.run_id == r.id).order_by(run_reports.c.source_id)))
        return RunRecord(id=r.id, kind=r.kind, status=r.status, started_at=r.started_at,
                         finished_at=r.finished_at, params=_asked(r.params), summary=r.summary, reports=reps)
