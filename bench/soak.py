"""Soak: many simulated nights on the demo sites, with faults drawn at random from a seeded list.

    uv run python bench/soak.py [--nights 30] [--seed 1] [--fault-rate 0.7] [--keep]

Each night n is a day of the past (the last one is today, Tehran): the demo sites publish what was
published by 02:00 of that day (`DemoSites.published_until`), then `mediawatch nightly` runs as its own
process — as cron or an operator would run it — followed by `mediawatch morning --date <that day>`.
A night other than the first (the installation's backfill) and the last (the clean night after the
last incident) may get one fault, drawn with the seed:

    sigkill     the nightly process is SIGKILLed at a random moment
    site_down   one demo site refuses connections for the whole night
    slow_site   one demo site answers every request 2 s late for the whole night
    disk_full   the nightly process may not grow any file (RLIMIT_FSIZE 0: writes fail as on a full disk)
    pg_restart  PostgreSQL is restarted (fast mode) at a random moment of the night

mediawatch's database is a throw-away PostgreSQL cluster of the soak's own (initdb on a free port, run
as the `postgres` user when this runs as root), so restarting it disturbs nobody. Prefect uses its
ephemeral server with a Prefect home of the soak's own; every child gets a private TMPDIR and an
environment tag, so leftover processes and temporary files are found even when orphaned.

At the end: every article the demo published is stored exactly once, every stored article has an
analysis, every day has its digest, no process and no temporary file is left, and the database passes
amcheck (every B-tree index checked against its table) and a few consistency queries. It prints one
line per night, the problems found, and last:

    soak: N nights, F faults, lost L, duplicated D, leftovers X

Exit status 0 when everything held, 1 otherwise. Nothing here touches the network beyond loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from glob import glob
from pathlib import Path

from sqlalchemy import create_engine, text

from demo.server import DemoSites
from mediawatch.timeutil import jalali_iso, tehran_at, tehran_today, to_tehran

FAULTS = ("sigkill", "site_down", "slow_site", "disk_full", "pg_restart")
TAG_VAR = "MEDIAWATCH_SOAK_TAG"
SLOW_SITE_S = 2.0
# A night or a morning that takes longer than this is killed and reported as hung.
NIGHT_DEADLINE_S = 20 * 60
MORNING_DEADLINE_S = 10 * 60
MEDIAWATCH = str(Path(sys.executable).with_name("mediawatch"))


def say(*parts: object) -> None:
    print(*parts, flush=True)


# --------------------------------------------------------------------------------------------------
# processes
def tagged_pids(tag: str) -> set[int]:
    """Live processes whose environment carries the soak's tag (orphans included)."""
    needle = f"{TAG_VAR}={tag}".encode()
    found = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (d / "environ").read_bytes().split(b"\0"):
                    found.add(int(d.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:160]
    except OSError:
        return "?"


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# a PostgreSQL cluster of our own
class PgCluster:
    """initdb in a folder of ours, on a free loopback port; restartable; removed at the end."""

    def __init__(self, root: Path):
        found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        initdb = found[-1] if found else shutil.which("initdb")
        if not initdb:
            raise SystemExit("soak: PostgreSQL's initdb not found (apt-get install postgresql)")
        self.bin = Path(initdb).parent
        self.dir = root / "pg"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        self.dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self.start()
        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE mediawatch"))
        admin.dispose()

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError(f"{tool} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")

    def url(self, db: str = "mediawatch") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-o", opts, "-w", "start")

    def restart(self) -> None:
        # -l as at start: without it the new server writes to pg_ctl's stdout, and waiting for that
        # pipe to close never ends.
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-m", "fast", "-w",
                  "restart")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")


# --------------------------------------------------------------------------------------------------
# one night
@dataclass
class Night:
    n: int
    day: date
    fault: str
    detail: str = ""
    nightly_rc: int | None = None
    nightly_s: float = 0.0
    morning_rc: int | None = None
    stored: int = 0
    leftovers: list[str] = field(default_factory=list)
    last_lines: str = ""


class Soak:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rng = random.Random(args.seed)
        self.tag = f"soak-{os.getpid()}-{args.seed}"
        self.root = Path(tempfile.mkdtemp(prefix="mw-soak-"))
        self.root.chmod(0o755)  # the postgres user reaches its cluster folder inside
        self.tmp = self.root / "tmp"
        self.data = self.root / "data"
        self.digests = self.root / "digests"
        self.logs = self.root / "logs"
        for d in (self.tmp, self.data, self.digests, self.root / "prefect", self.logs):
            d.mkdir()
        self.sources_file = self.root / "sources.toml"
        self.nights: list[Night] = []
        self.durations: list[float] = []
        self.problems: list[str] = []

    # --- children -------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        # PYTHONDONTWRITEBYTECODE is dropped: without .pyc files every child compiles Prefect again.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MEDIAWATCH_", "PREFECT_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update({
            TAG_VAR: self.tag,
            "TMPDIR": str(self.tmp),
            "MEDIAWATCH_DATA_DIR": str(self.data),
            "MEDIAWATCH_DB_URL": self.pg.url(),
            "MEDIAWATCH_DIGEST_DIR": str(self.digests),
            "MEDIAWATCH_SOURCES_FILE": str(self.sources_file),
            "PREFECT_HOME": str(self.root / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        })
        return env

    def child(self, args: list[str], deadline_s: float, *, disk_full: bool = False,
              at: float | None = None, action=None) -> tuple[int, float, str]:
        """Run a mediawatch command; `action` fires `at` seconds in (if still running). (rc, s, output)."""

        def limits() -> None:
            if disk_full:  # as a full disk: no file may grow (writes fail), reading still works
                resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        started = time.monotonic()
        # Output through a pipe: a pipe is not a file, so the disk-full child can still say what failed.
        p = subprocess.Popen([MEDIAWATCH, *args], env=self.env(), cwd=self.root, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=limits)
        timer = None
        self.fired = False

        def fire() -> None:
            if p.poll() is None:
                self.fired = True
                action(p)

        if action is not None and at is not None:
            timer = threading.Timer(at, fire)
            timer.start()
        # Read the pipe in a thread and wait for the child itself: an orphan that inherited the pipe
        # (the ephemeral Prefect server after a SIGKILL) would otherwise keep `communicate` waiting.
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: p.stdout.read1(65536), b"")),
                                  daemon=True)
        reader.start()
        try:
            p.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.problems.append(f"{' '.join(args[:1])} hung for {deadline_s} s and was killed")
        finally:
            if timer is not None:
                timer.cancel()
                timer.join()
        reader.join(timeout=5)  # still open after that: an orphan holds it (counted as a leftover)
        out = b"".join(chunks)
        return p.returncode, time.monotonic() - started, out.decode(errors="replace")

    def leftovers(self) -> list[str]:
        """Tagged processes still alive between runs: reported, then ended so the next night is clean."""
        time.sleep(1)  # a child's own children get a moment to exit on their own
        pids = tagged_pids(self.tag)
        found = [f"{pid} {cmdline(pid)}" for pid in sorted(pids)]
        kill_all(pids)
        return found

    # --- the nights -----------------------------------------------------------------------------
    def run(self) -> int:
        say(f"soak: workdir {self.root}, seed {self.args.seed}, {self.args.nights} nights")
        self.pg = PgCluster(self.root)
        self.sites = DemoSites(reference_day=tehran_today()).start()
        try:
            self.sites.write_sources_toml(self.sources_file)
            last = tehran_today()
            days = [last - timedelta(days=self.args.nights - n) for n in range(1, self.args.nights + 1)]
            for n, day in enumerate(days, 1):
                self.night(n, day, first=n == 1)
            return self.verify(days)
        finally:
            self.sites.stop()
            kill_all(tagged_pids(self.tag))
            self.pg.stop()
            if self.args.keep:
                say(f"soak: kept {self.root}")
            else:
                shutil.rmtree(self.root, ignore_errors=True)

    def draw_fault(self, n: int) -> str:
        # The first night is the installation's backfill (a person watches it) and the last one is
        # the clean night after the last incident: what every fault must be healed by.
        draw = self.rng.random(), self.rng.choice(self.args.faults)
        if n in (1, self.args.nights):
            return "none"
        return draw[1] if draw[0] < self.args.fault_rate else "none"

    def night(self, n: int, day: date, first: bool) -> None:
        night = Night(n, day, self.draw_fault(n))
        self.sites.published_until = tehran_at(day, 2)
        args = ["nightly"]
        if first:  # the installation's backfill; every later night is incremental, as in production
            args += ["--since", (day - timedelta(days=30)).isoformat()]
        typical = sorted(self.durations)[len(self.durations) // 2] if self.durations else 45.0
        at = self.rng.uniform(2.0, max(3.0, 0.8 * typical))  # inside a usual night, mostly
        site = self.rng.choice(sorted(self.sites.base_urls))
        kw: dict = {}
        if night.fault == "sigkill":
            night.detail = f"at {at:.0f} s"
            kw = {"at": at, "action": lambda p: p.send_signal(signal.SIGKILL)}
        elif night.fault == "pg_restart":
            night.detail = f"at {at:.0f} s"
            kw = {"at": at, "action": lambda p: self.pg.restart()}
        elif night.fault == "disk_full":
            kw = {"disk_full": True}
        elif night.fault == "site_down":
            night.detail = site
            self.sites.take_down(site)
        elif night.fault == "slow_site":
            night.detail = site
            self.sites.slow_down(site, SLOW_SITE_S)
        try:
            night.nightly_rc, night.nightly_s, out = self.child(args, NIGHT_DEADLINE_S, **kw)
        finally:
            self.sites.bring_up(site)
            self.sites.slow_down(site, 0)
        if night.fault == "none" and not first:  # the backfill is no measure of a usual night
            self.durations.append(night.nightly_s)
        if "action" in kw and not self.fired:  # the night ended before the fault's moment
            night.detail += " (not reached)"
            night.fault += "?"
        (self.logs / f"night-{n:02d}-nightly.log").write_text(out, encoding="utf-8")
        night.last_lines = "\n".join(out.strip().splitlines()[-3:])
        night.leftovers += self.leftovers()
        night.morning_rc, _, mout = self.child(["morning", "--date", day.isoformat()], MORNING_DEADLINE_S)
        (self.logs / f"night-{n:02d}-morning.log").write_text(mout, encoding="utf-8")
        if night.morning_rc != 0:
            night.last_lines += "\n  morning: " + "\n  ".join(mout.strip().splitlines()[-3:])
        night.leftovers += [f"(after morning) {x}" for x in self.leftovers()]
        night.stored = self.count("SELECT count(*) FROM articles")
        self.nights.append(night)
        say(f"night {n:>2} {day} {night.fault:<10} {night.detail:<10} nightly rc={night.nightly_rc} "
            f"{night.nightly_s:5.0f} s  morning rc={night.morning_rc}  stored {night.stored}"
            + (f"  leftovers {len(night.leftovers)}" if night.leftovers else ""))
        if (night.nightly_rc not in (0, 1) and night.fault == "none") or night.morning_rc != 0:
            say("   " + night.last_lines.replace("\n", "\n   "))

    def count(self, sql: str) -> int:
        engine = create_engine(self.pg.url())
        try:
            with engine.connect() as c:
                return int(c.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()

    # --- the checks -----------------------------------------------------------------------------
    def verify(self, days: list[date]) -> int:
        published = self.sites.expected()  # published_until is the last night's: all that was published
        engine = create_engine(self.pg.url())
        try:
            with engine.begin() as c:
                stored = [u for (u,) in c.execute(text("SELECT url FROM articles"))]
                unanalysed = int(c.execute(text(
                    "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                    "(SELECT 1 FROM analyses n WHERE n.article_id = a.id)")).scalar_one())
                textless = int(c.execute(text(
                    "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                    "(SELECT 1 FROM article_texts t WHERE t.article_id = a.id)")).scalar_one())
                morning_ends = [to_tehran(e).date() for (e,) in c.execute(
                    text("SELECT period_end FROM digests WHERE kind = 'morning'"))]
                stuck = int(c.execute(text(
                    "SELECT count(*) FROM runs WHERE status = 'running'")).scalar_one())
                c.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
                indexes = c.execute(text(
                    "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace s ON s.oid = c.relnamespace "
                    "WHERE am.amname = 'btree' AND s.nspname = 'public'")).all()
                broken_indexes = []
                for oid, name in indexes:
                    try:
                        with c.begin_nested():
                            c.execute(text("SELECT bt_index_check(:oid, true)"), {"oid": oid})
                    except Exception as exc:
                        broken_indexes.append(f"{name}: {str(exc).splitlines()[0]}")
        finally:
            engine.dispose()

        by_url: dict[str, str] = {}
        for a in published:
            for u in (a.url, a.served_url, a.url_encoded):
                by_url[u] = a.id
        per_article = Counter(by_url[u] for u in stored if u in by_url)
        lost = [a for a in published if per_article[a.id] == 0]
        duplicated = sum(k - 1 for k in per_article.values() if k > 1)
        unexpected = [u for u in stored if u not in by_url]
        digest_days = set(morning_ends)
        no_digest = [d for d in days if d not in digest_days and not (self.digests / jalali_iso(d)).exists()]
        temp_files = [str(p.relative_to(self.root)) for p in self.tmp.rglob("*")]
        temp_files += [str(p.relative_to(self.root)) for base in (self.data, self.digests)
                       for p in base.rglob("*") if p.name.endswith((".tmp", ".part")) or ".tmp" in p.suffixes]
        processes = [x for night in self.nights for x in night.leftovers]
        leftovers = len(temp_files) + len(processes)
        faults = sum(night.fault != "none" and not night.fault.endswith("?") for night in self.nights)

        say("")
        say(f"published {len(published)}, stored {len(stored)} ({len(unexpected)} not among the published: "
            f"the demo's deliberately broken or off-topic pages)" if unexpected else
            f"published {len(published)}, stored {len(stored)}")
        checks = [
            (lost, "lost", lambda a: f"{a.id} {a.url}"),
            (unexpected, "stored but not published", str),
            ([1] * unanalysed, f"{unanalysed} stored article(s) without an analysis", None),
            ([1] * textless, f"{textless} article(s) without their text", None),
            (no_digest, "days without a morning digest", str),
            (processes, "leftover processes", str),
            (temp_files, "leftover temporary files", str),
            ([1] * stuck, f"{stuck} run(s) left 'running' (killed nights never marked interrupted)", None),
            (broken_indexes, "amcheck", str),
        ]
        ok = not (lost or duplicated or leftovers or unanalysed or textless or no_digest or broken_indexes)
        for items, what, show in checks:
            if items:
                say(f"! {what}" + (f" ({len(items)}):" if show else ""))
                for x in items[:8] if show else []:
                    say(f"    {show(x)}")
        for p in self.problems:
            say(f"! {p}")
        say(f"integrity: amcheck on {len(indexes)} B-tree indexes "
            f"{'passed' if not broken_indexes else 'FAILED'}")
        say(f"soak: {len(self.nights)} nights, {faults} faults, lost {len(lost)}, duplicated {duplicated}, "
            f"leftovers {leftovers}")
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/soak.py", description=__doc__.splitlines()[0])
    ap.add_argument("--nights", type=int, default=30, help="simulated nights (default 30)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the fault draw (default 1)")
    ap.add_argument("--fault-rate", type=float, default=0.7, help="share of nights with a fault (default 0.7)")
    ap.add_argument("--faults", type=lambda v: tuple(v.split(",")), default=FAULTS,
                    help=f"the faults to draw from, comma-separated (default: {','.join(FAULTS)})")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (database cluster, logs)")
    args = ap.parse_args(argv)
    if args.nights < 1:
        ap.error("--nights must be at least 1")
    if unknown := set(args.faults) - set(FAULTS):
        ap.error(f"unknown fault(s) {', '.join(sorted(unknown))}; choose from {', '.join(FAULTS)}")
    return Soak(args).run()


if __name__ == "__main__":
    raise SystemExit(main())
