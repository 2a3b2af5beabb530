"""CI quality gate: 5-fold CV figures on ../shared/data/train.jsonl never fall below the pinned floors."""

import json
from pathlib import Path

import pytest

from nlp.analyze import MODEL_DIR
from nlp.train import cross_validate, load_labels

FLOORS = json.loads((Path(MODEL_DIR) / "floors.json").read_text(encoding="utf-8"))


@pytest.mark.shared
def test_cv_figures_hold_the_floors(shared_dir):
    m = cross_validate(load_labels(shared_dir / "train.jsonl"), n_jobs=2)
    got = m.headline()
    below = {k: (round(got[k], 4), v) for k, v in FLOORS["floors"].items() if got[k] < v}
    assert not below, f"CV figures fell below their floors (got, floor): {below}"


def test_floors_file_is_well_formed():
    assert set(FLOORS["floors"]) == {"domain_macro_f1", "municipal_f1", "concern_f1", "rasht_f1"}
    assert all(0.0 < v <= 1.0 for v in FLOORS["floors"].values())
