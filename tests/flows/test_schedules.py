"""Schedules are defined once (prefect.yaml): `prefect deploy` and `mediawatch serve` serve the same deployments."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mediawatch.errors import ConfigError
from mediawatch.settings import PROJECT_ROOT

# What the committee's day depends on (Asia/Tehran): any other deployment may be added beside these.
KNOWN = {
    "nightly": ("flows/nightly.py:nightly", [("0 2 * * *", "Asia/Tehran")]),
    "morning-digest": ("flows/digest.py:morning_digest", [("0 7 * * 6,0,1,2,3", "Asia/Tehran")]),
    "weekly-briefs": ("flows/digest.py:weekly_briefs", [("30 7 * * 6", "Asia/Tehran")]),
    "retrain": ("flows/retrain.py:retrain", [("0 3 * * 5", "Asia/Tehran")]),
}


def as_prefect_deploy_reads_it(path: Path) -> dict[str, dict]:
    """prefect.yaml read and validated by `prefect deploy`'s own loader (it only warns on a bad file)."""
    from prefect.cli.deploy._config import _load_deploy_configs_and_actions
    from rich.console import Console

    out = io.StringIO()
    configs, _ = _load_deploy_configs_and_actions(path, console=Console(file=out))
    assert "Skipping" not in out.getvalue(), out.getvalue()
    return {c["name"]: c for c in configs}


def test_prefect_deploy_and_mediawatch_serve_serve_the_same_deployments():
    from flows.serve import deployments

    declared = as_prefect_deploy_reads_it(PROJECT_ROOT / "prefect.yaml")
    served = {d.name: d for d in deployments()}
    assert set(served) == set(declared)
    for name, d in served.items():
        c = declared[name]
        assert d.entrypoint == c["entrypoint"], name  # the same flow, found from the checkout
        assert [(s.schedule.cron, s.schedule.timezone) for s in d.schedules] == [
            (s["cron"], s["timezone"]) for s in c["schedules"]], name
        assert d.concurrency_limit == c["concurrency_limit"] == 1, name  # nights never overlap
        assert d.tags == c["tags"] and (d.parameters or {}) == c.get("parameters", {}), name
        assert c["work_pool"]["name"] == "mediawatch", name
    for name, (entrypoint, schedules) in KNOWN.items():
        assert served[name].entrypoint == entrypoint
        assert [(s.schedule.cron, s.schedule.timezone) for s in served[name].schedules] == schedules


def test_a_new_deployment_is_one_entry_in_prefect_yaml(tmp_path):
    """Adding a deployment (e.g. an hourly one) to prefect.yaml is all `mediawatch serve` needs."""
    from flows.serve import deployments

    text = (PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8")
    extra = tmp_path / "prefect.yaml"
    extra.write_text(text.rstrip() + """

  - name: nightly-extra
    description: The nightly flow once more, for this test.
    entrypoint: flows/nightly.py:nightly
    tags: [mediawatch]
    concurrency_limit: 1
    parameters: {}
    schedules:
      - cron: "15 * * * *"
        timezone: Asia/Tehran
        active: true
    work_pool: *pool
""", encoding="utf-8")
    assert set(as_prefect_deploy_reads_it(extra)) == {d.name for d in deployments(extra)}
    [added] = [d for d in deployments(extra) if d.name == "nightly-extra"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in added.schedules] == [("15 * * * *", "Asia/Tehran")]


def test_a_broken_prefect_yaml_is_named(tmp_path):
    from flows.serve import deployment_specs

    bad = tmp_path / "prefect.yaml"
    bad.write_text("deployments:\n  - name: nightly\n    schedules: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"prefect.yaml: deployment #1 \(nightly\).*entrypoint"):
        deployment_specs(bad)
    with pytest.raises(ConfigError, match="no such file"):
        deployment_specs(tmp_path / "missing.yaml")
