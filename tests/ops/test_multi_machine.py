"""The several-machine setup of the README, for real: a Prefect server, a `process` work pool, two
workers (each a "machine" with its own Prefect home and data folder), deployments from prefect.yaml,
mediawatch's database on the shared PostgreSQL.

What this test does is what the README's "Several machines" section tells an IT officer to do:

    prefect server start                                   # PREFECT_HOME of its own, SQLite for Prefect
    prefect work-pool create mediawatch --type process
    prefect deploy --all                                   # in the checkout, PREFECT_API_URL set
    prefect worker start --pool mediawatch                 # twice, with MEDIAWATCH_CHECKOUT,
                                                           # MEDIAWATCH_DB_URL, PREFECT_API_URL

Only the demo differs from a real installation: the workers read a sources file pointing at the demo
sites on loopback (MEDIAWATCH_SOURCES_FILE) and the run is started with a `since` covering the demo's
days. Test-only speed-ups: workers poll every second, the scheduler service is off (no 02:00 run sneaks
in), and the analysis uses the sparse model (MEDIAWATCH_ENCODER=none; the encoder is tests/e2e's).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from mediawatch.settings import PROJECT_ROOT
from tests.ops.procs import kill_tagged
from tests.pg import fresh_pg_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# A fixed Wednesday, so the demo's dates and the digest period are the same on every run.
DEMO_DAY = date(2026, 11, 25)
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "mediawatch"
# Every wait has a deadline. On a quiet 2-core machine the server is up in ~20 s and a run takes
# ~40 s; the deadlines allow for a machine loaded ten times over.
SERVER_START_S = 240
COMMAND_S = 240
RUN_S = 420


_T0 = time.monotonic()


def _mark(what: str) -> None:
    print(f"[multi-machine] {time.monotonic() - _T0:6.1f} s  {what}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Machines:
    """The server and the two workers: their environment, logs and processes."""

    tag: str
    root: Path
    api_url: str
    base_env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        return {**self.base_env, **extra}

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            p = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(p)
        return p

    def run(self, args: list[str], env: dict[str, str], cwd: Path) -> str:
        """A short prefect command; its output, or a failure that shows it."""
        r = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_S,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"{' '.join(args[1:])} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
        return r.stdout + r.stderr

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")


def _wait_healthy(machines: Machines, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"prefect server exited {server.returncode}:\n{machines.log('server')[-3000:]}")
        try:
            if httpx.get(f"{machines.api_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"prefect server not healthy after {SERVER_START_S} s:\n{machines.log('server')[-3000:]}")


@pytest.fixture(scope="module")
def demo_sources(tmp_path_factory) -> Iterator[tuple[Path, object]]:
    from demo.server import DemoSites

    sites = DemoSites(reference_day=DEMO_DAY).start()
    try:
        path = sites.write_sources_toml(tmp_path_factory.mktemp("demo") / "demo-sources.toml")
        yield path, sites
    finally:
        sites.stop()


@pytest.fixture(scope="module")
def shared_db() -> Iterator[str]:
    """A throw-away PostgreSQL database: the one both workers share."""
    with fresh_pg_database("mw_multi") as url:
        yield url


@pytest.fixture(scope="module")
def machines(tmp_path_factory, shared_db, demo_sources) -> Iterator[Machines]:
    root = tmp_path_factory.mktemp("machines")
    tag = f"mw-multi-{uuid.uuid4().hex[:12]}"
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # PYTHONDONTWRITEBYTECODE is dropped: each child would compile Prefect's thousands of modules again.
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("PREFECT_", "MEDIAWATCH_")) and k not in ("VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    base.update({
        "MEDIAWATCH_TEST_PROCESS_TAG": tag,  # inherited by every descendant: teardown finds them all
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    m = Machines(tag=tag, root=root, api_url=api_url, base_env=base)
    try:
        # The server, with a Prefect home (and SQLite database for Prefect) of its own.
        server_home = root / "server-home"
        server_home.mkdir()
        server = m.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port),
                                    "--no-ui", "--no-scheduler"],
                         m.env(PREFECT_HOME=str(server_home)), cwd=root)
        _wait_healthy(m, server)
        _mark("server healthy")

        # The operator's machine: create the pool. The workers start meanwhile (they poll the pool, and
        # their start-up overlaps the deploy), then deploy from the checkout's prefect.yaml.
        admin = m.env(PREFECT_HOME=str(root / "admin-home"), PREFECT_API_URL=api_url)
        m.run([PREFECT, "--no-prompt", "work-pool", "create", POOL, "--type", "process"], admin, cwd=root)
        _mark("pool created")

        # Two worker machines: each its own Prefect home, data folder and working directory.
        sources_file, _ = demo_sources
        for i in (1, 2):
            home = root / f"worker{i}"
            (home / "prefect").mkdir(parents=True)
            (home / "data").mkdir()
            env = m.env(
                PREFECT_HOME=str(home / "prefect"),
                PREFECT_API_URL=api_url,
                PREFECT_WORKER_QUERY_SECONDS="1",
                MEDIAWATCH_CHECKOUT=str(PROJECT_ROOT),
                MEDIAWATCH_DB_URL=shared_db,
                MEDIAWATCH_DATA_DIR=str(home / "data"),
                MEDIAWATCH_SOURCES_FILE=str(sources_file),
                # The sparse model: the encoder's CPU time is the demo's (tests/e2e), not this test's.
                MEDIAWATCH_ENCODER="none",
            )
            m.start(f"worker{i}", [PREFECT, "worker", "start", "--pool", POOL, "--name", f"machine-{i}"],
                    env, cwd=home)

        m.run([PREFECT, "--no-prompt", "deploy", "--all"], admin, cwd=PROJECT_ROOT)
        _mark("deployed")
        yield m
    finally:
        survivors = kill_tagged(tag, [p.pid for p in m.procs])
        for p in m.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
        assert not survivors, f"processes left after teardown: {sorted(survivors)}"


def _run_deployment(m: Machines, name: str, parameters: dict):
    """Start a run of a deployment and wait, with a deadline, until it is final."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: m.api_url}), get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name(name)
        run = client.create_flow_run_from_deployment(dep.id, parameters=parameters)
        deadline = time.monotonic() + RUN_S
        while time.monotonic() < deadline:
            run = client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run
            time.sleep(1)
    pytest.fail(f"{name} run {run.id} not finished after {RUN_S} s (state {run.state_name}); "
                f"worker logs:\n{m.log('worker1')[-2000:]}\n{m.log('worker2')[-2000:]}")


def _wait_workers_online(m: Machines) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + SERVER_START_S
    names: list[str] = []
    with temporary_settings({PREFECT_API_URL: m.api_url}), get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            names = sorted(w.name for w in client.read_workers_for_work_pool(POOL)
                           if str(w.status).upper().endswith("ONLINE"))
            if len(names) == 2:
                return names
            time.sleep(1)
    pytest.fail(f"workers online after {SERVER_START_S} s: {names}\n{m.log('worker1')[-2000:]}")


def _ran_on_one_machine(m: Machines, run) -> None:
    """Both workers may try to take a run; the server lets exactly one of them start it."""
    started = [w for w in ("worker1", "worker2") if f"Flow run '{run.name}' submitted to infrastructure" in m.log(w)]
    assert len(started) == 1, f"flow run {run.name} ({run.id}) was started by {started or 'no worker'}"


def test_two_workers_run_the_nightly_deployment_into_postgres(machines, shared_db, demo_sources):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly import RUN_REPORT_KEY

    _, sites = demo_sources
    assert _wait_workers_online(machines) == ["machine-1", "machine-2"]
    _mark("workers online")
    with temporary_settings({PREFECT_API_URL: machines.api_url}), get_client(sync_client=True) as client:
        deployed = {d.name for d in client.read_deployments()}
    from flows.serve import deployment_specs

    assert deployed == {s.name for s in deployment_specs()}  # every deployment prefect.yaml declares
    assert {"nightly", "morning-digest"} <= deployed

    since = (DEMO_DAY - timedelta(days=30)).isoformat()
    run = _run_deployment(machines, "nightly/nightly", {"since": since})
    assert run.state.is_completed(), (
        f"nightly ended {run.state_name}: {run.state.message}\n"
        f"{machines.log('worker1')[-3000:]}\n{machines.log('worker2')[-3000:]}")

    _mark("nightly done")
    _ran_on_one_machine(machines, run)

    # Every article the demo publishes landed once, and each has its analysis.
    engine = create_engine(shared_db)
    try:
        with engine.connect() as c:
            urls = [u for (u,) in c.execute(text("SELECT url FROM articles"))]
            unanalysed = c.execute(text(
                "SELECT count(*) FROM articles a WHERE NOT EXISTS "
                "(SELECT 1 FROM analyses n WHERE n.article_id = a.id)")).scalar_one()
            runs = c.execute(text("SELECT status FROM runs WHERE kind = 'nightly'")).scalars().all()
    finally:
        engine.dispose()
    # Once: no demo article under two of its URL forms (as linked, canonical, percent-encoded).
    published = sites.expected()
    forms = {u: a.id for a in published for u in (a.url, a.served_url, a.url_encoded)}
    twice = [i for i, k in Counter(forms[u] for u in urls if u in forms).items() if k > 1]
    assert not twice, f"stored twice: {twice}"
    missing = {a.url for a in published} - set(urls)
    assert not missing, f"missing: {sorted(missing)[:5]}"
    assert unanalysed == 0
    assert runs in (["ok"], ["partial"]), runs  # one night, recorded once

    with temporary_settings({PREFECT_API_URL: machines.api_url}), get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    report = [a for a in artifacts if a.key == RUN_REPORT_KEY]
    assert report, f"no '{RUN_REPORT_KEY}' artifact on run {run.id}: {[a.key for a in artifacts]}"
    for source in sites.sources():
        assert source.id in str(report[0].data)

    # The morning digest deployment, on whichever machine takes it, reads the same database.
    # (send=False: the deployment e-mails by default, and these machines have no SMTP server)
    run = _run_deployment(machines, "morning-digest/morning-digest", {"day": DEMO_DAY.isoformat(), "send": False})
    _mark("morning done")
    assert run.state.is_completed(), f"morning-digest ended {run.state_name}: {run.state.message}"
    _ran_on_one_machine(machines, run)
    with temporary_settings({PREFECT_API_URL: machines.api_url}), get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}
    assert "morning-digest" in keys and sum(k.startswith("daily-brief-") for k in keys) == 5, keys

