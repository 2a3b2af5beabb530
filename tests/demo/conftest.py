"""Demo sites over our own sample articles (tests/demo/samples), grown so listings span many pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from demo.server import DemoSites

SAMPLES = Path(__file__).parent / "samples"
REF_DAY = date(2026, 11, 26)  # 5 Azar 1405, a Thursday
# Extra copies per sample article: payam then has 2 + 2*EXTRA articles, enough for 3 listing pages.
EXTRA = 12


def grow_samples(target: Path, extra: int = EXTRA) -> Path:
    """Copy the samples into `target` and add `extra` unbroken variants of each (new ids, days, titles)."""
    target.mkdir(parents=True, exist_ok=True)
    arts = [json.loads(x) for x in (SAMPLES / "sample.jsonl").read_text("utf-8").splitlines() if x.strip()]
    labs = [
        json.loads(x) for x in (SAMPLES / "sample.labels.jsonl").read_text("utf-8").splitlines() if x.strip()
    ]
    (target / "a.jsonl").write_text((SAMPLES / "sample.jsonl").read_text("utf-8"), "utf-8")
    (target / "a.labels.jsonl").write_text((SAMPLES / "sample.labels.jsonl").read_text("utf-8"), "utf-8")
    more_a, more_l = [], []
    for k in range(extra):
        for a, lab in zip(arts, labs, strict=True):
            n = f"{a['id']}-{k:02d}"
            more_a.append(
                {
                    **a,
                    "id": n,
                    "title": f"{a['title']} (گزارش {k + 1})",
                    "broken": None,
                    "copy_of": None,
                    "day_offset": 1 + (k * 5 + len(more_a)) % 24,
                    "time": f"{6 + (k + len(more_a)) % 17:02d}:{(k * 7) % 60:02d}",
                }
            )
            more_l.append({**lab, "id": n})
    (target / "b.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in more_a), "utf-8"
    )
    (target / "b.labels.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in more_l), "utf-8"
    )
    return target


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return grow_samples(tmp_path_factory.mktemp("demo-content"))


@pytest.fixture(scope="session")
def demo(content_dir: Path) -> Iterator[DemoSites]:
    with DemoSites(REF_DAY, content_dir) as d:
        yield d
