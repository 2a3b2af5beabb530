"""The deployments and their schedules, defined once: in prefect.yaml.

`prefect deploy --all` reads prefect.yaml for a Prefect server with workers (one or several machines);
`mediawatch serve` reads the same file and serves the same deployments (name, entrypoint, schedules,
tags, concurrency limit, parameters, description) from one process. Adding a deployment is one entry
under `deployments:` in prefect.yaml; tests/flows/test_schedules.py checks both paths agree.

Today (Asia/Tehran): nightly 02:00 every day; digest 07:00 Saturday–Wednesday; weekly briefs Saturday
07:30; retrain Friday 03:00; the early-warning pulse at half past every hour.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow, serve
from prefect.schedules import Cron

from mediawatch.errors import ConfigError
from mediawatch.settings import PROJECT_ROOT

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """One deployment as prefect.yaml declares it (the parts `mediawatch serve` uses)."""

    name: str
    entrypoint: str  # "flows/nightly.py:nightly", relative to the checkout
    schedules: tuple[tuple[str, str], ...]  # (cron, timezone)
    description: str = ""
    tags: tuple[str, ...] = ()
    concurrency_limit: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def deployment_specs(path: Path = PREFECT_YAML) -> list[DeploymentSpec]:
    """The deployments of prefect.yaml; ConfigError naming the file and the entry when one is malformed."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; `mediawatch serve` reads the deployments from the checkout's prefect.yaml") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}); fix the file (see its comment for the layout)") from None
    specs: list[DeploymentSpec] = []
    for i, entry in enumerate((data or {}).get("deployments") or [], start=1):
        where = f"{path}: deployment #{i} ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
        try:
            schedules = tuple((str(s["cron"]), str(s.get("timezone", "UTC")))
                              for s in entry.get("schedules") or [] if s.get("active", True))
            specs.append(DeploymentSpec(
                name=str(entry["name"]), entrypoint=str(entry["entrypoint"]), schedules=schedules,
                description=str(entry.get("description") or ""), tags=tuple(entry.get("tags") or ()),
                concurrency_limit=entry.get("concurrency_limit"), parameters=dict(entry.get("parameters") or {})))
        except (AttributeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{where}: missing or malformed field {exc}; each deployment needs name, entrypoint "
                              "and schedules of cron + timezone") from None
    if not specs:
        raise ConfigError(f"{path}: no deployments declared")
    return specs


def load_flow(entrypoint: str) -> Flow:
    """The flow an entrypoint names ("flows/nightly.py:nightly" → flows.nightly.nightly)."""
    file, _, attr = entrypoint.partition(":")
    module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
    obj = getattr(module, attr, None)
    if not isinstance(obj, Flow):
        raise ConfigError(f"prefect.yaml: entrypoint {entrypoint!r} does not name a Prefect flow")
    return obj


def deployments(path: Path = PREFECT_YAML):
    """prefect.yaml's deployments, ready to serve; each limited as declared (one run at a time).

    The database comes from MEDIAWATCH_DB_URL in the serving process's environment, never from a
    deployment parameter: parameters are stored and shown by Prefect, and the URL may hold a password.
    """
    return [
        load_flow(spec.entrypoint).to_deployment(
            name=spec.name,
            description=spec.description or None,
            schedules=[Cron(cron, timezone=tz) for cron, tz in spec.schedules],
            parameters=dict(spec.parameters),
            concurrency_limit=spec.concurrency_limit,
            tags=list(spec.tags),
        )
        for spec in deployment_specs(path)
    ]


def serve_all() -> None:
    """Serve every deployment from this process until interrupted."""
    serve(*deployments())
