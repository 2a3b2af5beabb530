"""Workspace benchmark: N articles, 20 concurrent clients on loopback for a bounded time against Today,
Search and Story; prints p50 and p95 per page and the error count.

    uv run python bench/web.py                          # 100,000 articles on SQLite
    uv run python bench/web.py --n 20000 --seconds 20   # smaller
    uv run python bench/web.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test   # also PostgreSQL

Articles are bench/storage.py's synthetic ones (its vocabulary, 12 outlets, Zipf word frequencies), spread
over the last 60 days so that Today and the charts see a month of them, grouped five to a story. The
server is `mediawatch web [--workers N]` itself, started as a child process, so the clients' event loop
does not share its interpreter. Goal (issue 11): p95 ≤ 300 ms on SQLite, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediawatch.records import Cluster
from mediawatch.timeutil import utcnow
from storage import Store, open_store

# bench/storage.py's generator (loaded by path: its module name would shadow the storage package).
_spec = importlib.util.spec_from_file_location("bench_storage", Path(__file__).with_name("storage.py"))
assert _spec and _spec.loader
bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bs)

CLIENTS = 20
STORY_SIZE = 5  # articles per synthetic story
PASSWORD = "bench-password-123"
PAGES = ("today", "search", "story")


def build(store: Store, n: int) -> int:
    """Store n synthetic articles with analyses and stories; how many stories."""
    bs.START = utcnow() - timedelta(days=bs.DAYS)  # the last 60 days, so Today has a month of history
    store.sync_sources(bs.SOURCES)
    t = time.perf_counter()
    ids: list[int] = []
    batch: list = []
    for pair in bs.articles(n):
        batch.append(pair)
        if len(batch) == bs.BATCH:
            ids += _store_batch(store, batch)
            batch = []
    if batch:
        ids += _store_batch(store, batch)
    clusters = [Cluster(key=f"b{k}", representative_id=ids[k * STORY_SIZE],
                        member_ids=tuple(ids[k * STORY_SIZE:(k + 1) * STORY_SIZE]))
                for k in range(len(ids) // STORY_SIZE)]
    store.save_clusters(clusters)
    store.optimize()
    print(f"  built {n:,} articles and {len(clusters):,} stories in {time.perf_counter() - t:.0f} s", flush=True)
    from web.auth import hash_password

    if store.workspace.user("bench") is None:
        store.workspace.add_user("bench", role="secretariat", group=None, password_hash=hash_password(PASSWORD),
                                 who="bench")
    return len(clusters)


def _store_batch(store: Store, batch: list) -> list[int]:
    new = store.add_articles([a for a, _ in batch])
    store.save_analyses([(i, ana) for i, (_, ana) in zip(new, batch, strict=True) if i is not None])
    return [i for i in new if i is not None]


async def _login(base: str) -> object:
    """An httpx client logged in through the real form (argon2 verify included, outside the timed part)."""
    import re

    import httpx

    c = httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False)
    page = await c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = await c.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": token})
    if r.status_code != 303:
        raise SystemExit(f"bench login failed: HTTP {r.status_code}")
    # A fresh connection pool with the session: the login's connection may idle past uvicorn's keep-alive.
    fresh = httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False, cookies=c.cookies)
    await c.aclose()
    return fresh


async def _client(c, stories: int, until: float, times: dict[str, list[float]], errors: list[str],
                  seed: int) -> None:
    rnd = random.Random(seed)
    try:
        await _loop(c, rnd, stories, until, times, errors)
    finally:
        await c.aclose()


async def _loop(c, rnd: random.Random, stories: int, until: float, times: dict[str, list[float]],
                errors: list[str]) -> None:
    import httpx

    while time.monotonic() < until:
        which = rnd.choice(PAGES)
        url = {"today": "/", "search": f"/search?q={rnd.choice(bs.VOCAB[20:400])}",
               "story": f"/story/b{rnd.randrange(stories)}"}[which]
        t = time.perf_counter()
        try:
            r = await c.get(url)
            if r.status_code != 200:
                errors.append(f"{url} {r.status_code}")
        except httpx.HTTPError as exc:
            errors.append(f"{url} {exc!r}")
            continue
        times[which].append((time.perf_counter() - t) * 1000)


def load(db_url: str, stories: int, seconds: float, workers: int) -> tuple[dict[str, list[float]], list[str]]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = tempfile.mkdtemp(prefix="mw-bench-web-")
    # The server is `mediawatch web` itself, in its own process(es).
    env = {**os.environ, "MEDIAWATCH_DATA_DIR": data_dir, "MEDIAWATCH_SECRET_KEY": "bench-only"}
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "web", "--port", str(port), "--workers", str(workers),
                             "--db", db_url], env=env, cwd=Path(__file__).resolve().parent.parent,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/login", timeout=2)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the workspace server did not start") from None
            time.sleep(0.2)
    times: dict[str, list[float]] = {p: [] for p in PAGES}
    errors: list[str] = []

    async def main() -> None:
        clients = [await _login(base) for _ in range(CLIENTS)]
        for url in ("/", f"/search?q={bs.VOCAB[20]}", "/story/b0"):  # one warm-up each: steady state is timed
            await clients[0].get(url)  # type: ignore[attr-defined]
        until = time.monotonic() + seconds
        await asyncio.gather(*(_client(c, stories, until, times, errors, n) for n, c in enumerate(clients)))

    try:
        asyncio.run(main())
    finally:
        proc.terminate()
        proc.wait(10)
    return times, errors


def report(label: str, times: dict[str, list[float]], errors: list[str], seconds: float) -> None:
    print(f"{label}: {CLIENTS} clients for {seconds:.0f} s (load average now {os.getloadavg()[0]:.1f})")
    for page in PAGES:
        t = sorted(times[page])
        if not t:
            print(f"  {page:6} no completed requests")
            continue
        p95 = t[min(len(t) - 1, round(0.95 * (len(t) - 1)))]
        print(f"  {page:6} n={len(t):5}  p50 {statistics.median(t):7.1f} ms  p95 {p95:7.1f} ms")
    print(f"  errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="articles to generate (default 100,000)")
    ap.add_argument("--seconds", type=float, default=30.0, help="how long the clients run per backend")
    ap.add_argument("--pg", metavar="URL", help="also on this PostgreSQL server (a scratch database is made)")
    ap.add_argument("--workers", type=int, default=1, help="server processes (mediawatch web --workers)")
    ap.add_argument("--sqlite-file", type=Path, help="keep the SQLite database here (reused when it exists)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="mw-bench-web-") as tmp:
        path = args.sqlite_file or Path(tmp) / "bench.sqlite"
        url = f"sqlite:///{path}"
        with open_store(url) as store:
            n = store.count_articles()
            stories = build(store, args.n) if n == 0 else n // STORY_SIZE
        report(f"SQLite, {n or args.n:,} articles, {args.workers} worker(s)", *load(url, stories, args.seconds, args.workers), args.seconds)
    if args.pg:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from storage.db import normalise_url

        server = normalise_url(args.pg)
        name = f"mw_bench_web_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        try:
            with open_store(url) as store:
                stories = build(store, args.n)
            report(f"PostgreSQL, {args.n:,} articles, {args.workers} worker(s)", *load(url, stories, args.seconds, args.workers), args.seconds)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
