"""Learning from the committee: corrections → training, model versions, agreement, retrain decisions.

Every model here is sparse (no encoder) and trained on a small label set written by us, so each
training takes about a second.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import typer
from typer.testing import CliRunner

from flows.commands import learn as learn_commands
from flows.commands import nlp as nlp_commands
from mediawatch.timeutil import utcnow
from tests.storage.factory import SOURCES, article

runner = CliRunner()

# The synthetic labels: four groups, six reports each (enough for 5-fold stratified CV).
TEXTS = [
    ("آسفالت خیابان‌های رشت و ترافیک میدان شهرداری", "civil_works_traffic", True),
    ("جمع‌آوری زباله و شیرابه سراوان در رشت", "urban_services", True),
    ("جشنواره فرهنگی شهرداری رشت در سبزه‌میدان", "culture_social_tourism", True),
    ("تیم ملی فوتبال در تهران تمرین کرد", "other", False),
]
# An article that reads like waste collection; the committee says it is civil works (a contractor job).
X_TITLE = "مخزن زباله"
X_BODY = "مخزن‌های زباله محله استادسرا پر شد و پیمانکار جدید شهرداری رشت مخزن‌ها را عوض کرد"


def label_rows() -> list[dict]:
    base = {"title": "", "secondary": None}
    return [{**base, "id": f"{i}-{k}", "text": f"{t} گزارش {k}", "domain": d, "municipal": m, "rasht": m,
             "concern": k % 2 == 0, "tone": ("positive", "neutral", "negative")[k % 3] if m else None}
            for i, (t, d, m) in enumerate(TEXTS) for k in range(6)]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A data dir of the test's own, the default database unset, and no encoder (sparse models)."""
    from mediawatch.settings import get_settings
    from nlp.encoder import reset_encoder

    path = tmp_path / "data"
    monkeypatch.setenv("MEDIAWATCH_DATA_DIR", str(path))
    monkeypatch.delenv("MEDIAWATCH_DB_URL", raising=False)
    monkeypatch.delenv("MEDIAWATCH_LABELS_FILE", raising=False)
    monkeypatch.setenv("MEDIAWATCH_ENCODER", "none")
    reset_encoder()
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()
    reset_encoder()


@pytest.fixture(autouse=True)
def unweighted_groups(monkeypatch):
    """These tests are about what the fitted model learns from labels and corrections: the working-group
    weights (tuned for the shipped model's label mix) are set aside so the tiny label set decides alone;
    X is then a close call between urban services and civil works that one correction can tip."""
    import numpy as np

    import nlp.analyze

    monkeypatch.setattr(nlp.analyze, "DOMAIN_WEIGHTS", np.ones_like(nlp.analyze.DOMAIN_WEIGHTS))


@pytest.fixture
def labels_file(tmp_path):
    p = tmp_path / "labels.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in label_rows()), encoding="utf-8")
    return p


@pytest.fixture
def app():
    app = typer.Typer()
    nlp_commands.register(app)
    learn_commands.register(app)
    return app


@pytest.fixture
def db(sqlite_url):
    from storage import open_store

    s = open_store(sqlite_url)
    s.sync_sources(SOURCES)
    yield s
    s.close()


def run(app, *args):
    return runner.invoke(app, [str(a) for a in args])


def active_analyzer():
    from nlp.analyze import Analyzer
    from nlp.models_registry import active_model_dir

    return Analyzer.load(active_model_dir())


def test_a_correction_made_through_the_storage_api_changes_the_next_trained_model(app, data_dir, labels_file, db,
                                                                                  sqlite_url):
    aid = db.add_article(article(1, title=X_TITLE, body=X_BODY))
    r = run(app, "train", "--labels", labels_file, "--db", sqlite_url, "--use")
    assert r.exit_code == 0, r.output
    before = active_analyzer()
    judged = before.analyze(X_TITLE, X_BODY)
    assert judged.domain == "urban_services"  # what the labels alone teach
    db.save_analyses([(aid, judged)])  # the night stores the model's judgement …

    db.add_correction(aid, field="domain", value="civil_works_traffic", who="مریم")  # … a person corrects it
    r = run(app, "train", "--labels", labels_file, "--db", sqlite_url, "--use")
    assert r.exit_code == 0, r.output
    assert "1 corrected article(s)" in r.output
    after = active_analyzer()
    assert after.model_version != before.model_version
    assert after.analyze(X_TITLE, X_BODY).domain == "civil_works_traffic"

    # The correction is what changed it: without corrections the same labels give the old judgement.
    r = run(app, "train", "--labels", labels_file, "--db", sqlite_url, "--no-corrections", "--use")
    assert r.exit_code == 0, r.output
    assert active_analyzer().analyze(X_TITLE, X_BODY).domain == "urban_services"


def test_later_corrections_win_when_training(data_dir, db):
    from nlp.feedback import merge_labels, trainable

    aid = db.add_article(article(1, title=X_TITLE, body=X_BODY))
    db.add_correction(aid, field="municipal", value="false", who="a")  # not municipal …
    db.add_correction(aid, field="domain", value="urban_services", who="b")  # … then: waste collection after all
    db.add_correction(aid, field="concern", value="true", who="b")
    db.add_correction(aid, field="rasht", value="true", who="b")
    db.add_correction(aid, field="concern", value="false", who="c")
    (row,), incomplete = trainable(db.corrections_as_labels())
    assert not incomplete
    assert (row["municipal"], row["domain"], row["concern"]) == (True, "urban_services", False)
    # … and the other way round: municipal corrected last wins over an earlier domain.
    db.add_correction(aid, field="municipal", value="false", who="d")
    (row,) = db.corrections_as_labels()
    assert (row["municipal"], row["domain"], row["tone"]) == (False, "other", None)
    # A correction overrides a label row with the same id (a re-imported export).
    merged = merge_labels([{**row, "domain": "urban_services", "municipal": True}], [row])
    assert merged == [row]


def test_a_corrected_article_without_analysis_and_missing_labels_is_left_out(app, data_dir, labels_file, db,
                                                                             sqlite_url):
    aid = db.add_article(article(1, title=X_TITLE, body=X_BODY))
    db.add_correction(aid, field="domain", value="civil_works_traffic", who="مریم")  # concern, rasht unknown
    r = run(app, "train", "--labels", labels_file, "--db", sqlite_url)
    assert r.exit_code == 0, r.output
    assert "0 corrected article(s)" in r.output and "1 left out" in r.output
    assert "mediawatch model use" in r.output  # trained as a new version, not made active


def test_versions_on_disk_active_pointer_and_shipped_fallback(app, data_dir, labels_file):
    from nlp.analyze import MODEL_DIR, ModelNotFoundError
    from nlp.models_registry import active_model_dir, list_models, train_version, use_model

    assert active_model_dir() == MODEL_DIR  # nothing trained: the shipped model
    first = train_version(label_rows()[:20] + label_rows()[-4:], encoder=None, metrics={"cv": {"domain_macro_f1": 0.5}})
    second = train_version(label_rows(), encoder=None)
    assert first.version != second.version and active_model_dir() == MODEL_DIR  # training does not activate
    for m in (first, second):
        assert {p.name for p in m.path.iterdir()} >= {"model.pkl.zlib", "model.json", "metrics.json"}
    use_model(first.version)
    assert active_model_dir() == data_dir / "models" / first.version
    listed = list_models()
    assert [m.active for m in listed].count(True) == 1 and listed[-1].shipped
    assert {m.version for m in listed if not m.shipped} == {first.version, second.version}

    both = run(app, "train", "--labels", labels_file, "--out", data_dir / "x", "--use")
    assert both.exit_code == 2 and "drop --out" in both.output
    r = run(app, "model", "list")
    assert r.exit_code == 0 and "shipped" in r.output and "0.500" in r.output
    lines = [json.loads(x) for x in run(app, "model", "list", "--json").output.splitlines()]
    assert [x["version"] for x in lines if x["active"]] == [first.version]
    assert run(app, "model", "use", "shipped").exit_code == 0
    assert active_model_dir() == MODEL_DIR and first.path.exists()  # earlier versions are kept
    bad = run(app, "model", "use", "20990101-nothere")
    assert bad.exit_code == 2 and "no model version" in bad.output and "shipped" in bad.output
    assert run(app, "model", "use", "../../etc").exit_code == 2

    use_model(second.version)
    import shutil

    shutil.rmtree(second.path)  # the active version vanished: a clear error, not the wrong model
    with pytest.raises(ModelNotFoundError, match="mediawatch model use"):
        active_model_dir()


def test_a_new_active_version_is_re_analysed_by_the_next_process(data_dir, db):
    from flows import steps
    from nlp.models_registry import train_version, use_model

    ids = db.add_articles([article(n, title=t, body=f"{t} امروز") for n, (t, _, _) in enumerate(TEXTS)])
    use_model(train_version(label_rows()[:22] + label_rows()[-2:], encoder=None).version)
    first = active_analyzer()
    assert steps.analyse_step(db, first) == len(ids)
    assert steps.analyse_step(db, active_analyzer()) == 0
    use_model(train_version(label_rows(), encoder=None).version)
    second = active_analyzer()
    assert second.model_version != first.model_version
    assert steps.analyse_step(db, second) == len(ids)  # every article again, by the new version
    current = {r["model_version"] for r in db.iter_export()}
    assert current == {second.model_version}


def test_agreement_counts_recent_corrected_fields_only():
    from types import SimpleNamespace

    from mediawatch.records import Domain
    from nlp.feedback import agreement

    now = utcnow()
    recent, old = (now - timedelta(days=2)).isoformat(), (now - timedelta(days=60)).isoformat()

    class Fixed:  # a model that says urban_services, concern, municipal, for everything
        def analyze_many(self, items):
            return [SimpleNamespace(municipal=True, domain=Domain.urban_services, concern=True, tone=None,
                                    rasht=True) for _ in items]

    rows = [
        {"title": "a", "text": "x", "domain": "urban_services", "concern": False, "corrected": {"domain": recent, "concern": recent}},
        {"title": "b", "text": "y", "domain": "civil_works_traffic", "corrected": {"domain": recent}},
        {"title": "c", "text": "z", "domain": "other", "municipal": False, "corrected": {"municipal": old}},
    ]
    got = agreement(Fixed(), rows, since=now - timedelta(days=30))
    assert got["domain"] == {"n": 2, "agree": 0.5}
    assert got["concern"] == {"n": 1, "agree": 0.0}
    assert got["municipal"] == {"n": 0, "agree": None}  # corrected 60 days ago: not counted


def test_eval_reports_agreement_with_recent_corrections(app, data_dir, db, sqlite_url):
    from nlp.models_registry import train_version, use_model

    use_model(train_version(label_rows(), encoder=None).version)
    model = active_analyzer()
    ids = db.add_articles([article(1, title=X_TITLE, body=X_BODY), article(2, title="", body=TEXTS[0][0])])
    db.save_analyses([(i, model.analyze(a.title, a.body)) for i, a in zip(ids, [article(1, title=X_TITLE, body=X_BODY), article(2, title="", body=TEXTS[0][0])], strict=True)])
    db.add_correction(ids[0], field="domain", value="civil_works_traffic", who="مریم")  # model says urban_services
    db.add_correction(ids[1], field="domain", value="civil_works_traffic", who="مریم")  # model agrees
    r = run(app, "eval", "--db", sqlite_url, "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)["corrections_agreement"]
    assert got["days"] == 30 and got["fields"]["domain"] == {"n": 2, "agree": 0.5}
    assert got["fields"]["tone"]["n"] == 0
    table = run(app, "eval", "--db", sqlite_url)
    assert table.exit_code == 0 and "50%" in table.output
    # Nothing to compare against: a one-line usage error.
    empty = run(app, "eval", "--no-corrections", "--db", sqlite_url)
    assert empty.exit_code == 2 and "--labels" in empty.output


def _register_current(cv: dict | None) -> str:
    from nlp.models_registry import train_version, use_model

    info = train_version(label_rows()[:20] + label_rows()[-4:], encoder=None, metrics={"cv": cv} if cv else None)
    use_model(info.version)
    return info.version


def test_retrain_promotes_a_candidate_that_is_not_worse(data_dir, labels_file, db, sqlite_url):
    from flows.learning import retrain_step
    from nlp.models_registry import active_version, list_models

    current = _register_current({"domain_macro_f1": 0.3, "municipal_f1": 0.3, "concern_f1": 0.0, "rasht_f1": 0.3})
    result = retrain_step(labels=labels_file, db_url=sqlite_url, encoder=False)
    assert result.promoted and not result.reasons, result.markdown()
    assert active_version() == result.candidate != current
    assert len([m for m in list_models() if not m.shipped]) == 2  # the previous version is kept
    assert "promoted" in result.markdown() and "| domain_macro_f1 |" in result.markdown()
    cand = next(m for m in list_models() if m.version == result.candidate)
    assert cand.headline == result.cv_candidate  # its CV figures are recorded for the next comparison


def test_retrain_keeps_the_current_model_and_says_why(data_dir, labels_file, db, sqlite_url):
    from flows.learning import retrain_step
    from nlp.models_registry import active_version

    current = _register_current({"domain_macro_f1": 1.0, "municipal_f1": 1.0, "concern_f1": 1.0, "rasht_f1": 1.0})
    result = retrain_step(labels=labels_file, db_url=sqlite_url, encoder=False)
    assert not result.promoted and active_version() == current
    assert any(r.startswith("CV concern_f1") for r in result.reasons), result.reasons
    md = result.markdown()
    assert "kept the current model" in md and "concern_f1" in md and f"mediawatch model use {result.candidate}" in md


def test_retrain_scores_the_corrections_held_out_by_time(data_dir, labels_file, db, sqlite_url):
    from flows.learning import retrain_step
    from nlp.models_registry import active_version

    current = _register_current(None)  # no recorded CV: the held-out corrections decide
    model = active_analyzer()
    arts = [article(100 + n, title=X_TITLE, body=X_BODY) for n in range(4)]  # four outlets, one report
    ids = db.add_articles(arts)
    db.save_analyses([(i, model.analyze(a.title, a.body)) for i, a in zip(ids, arts, strict=True)])
    for i in ids:
        db.add_correction(i, field="domain", value="civil_works_traffic", who="مریم")
    kept = retrain_step(labels=labels_file, db_url=sqlite_url, encoder=False, holdout_min=5, promote=False)
    assert kept.holdout_n == 4 and not kept.holdout_candidate and "fewer than 5" in kept.markdown()

    result = retrain_step(labels=labels_file, db_url=sqlite_url, encoder=False, holdout_min=3, promote=False,
                          now=utcnow())
    assert result.holdout_n == 4
    assert set(result.holdout_candidate) >= {"domain_macro_f1", "concern_f1"}
    assert model.analyze(X_TITLE, X_BODY).domain == "urban_services"
    assert result.holdout_current["domain_macro_f1"] == 0.0  # the current model gets every one wrong
    assert not result.promoted and active_version() == current  # --no-promote: scored, kept on disk
    assert "switched off" in result.decision


@pytest.mark.slow
def test_retrain_flow_and_schedules(prefect_harness, data_dir, labels_file, db, sqlite_url):
    from flows.retrain import RETRAIN_REPORT_KEY, retrain
    from tests.flows.test_flows import _artifact

    _register_current({"domain_macro_f1": 0.1, "municipal_f1": 0.1, "concern_f1": 0.0, "rasht_f1": 0.1})
    result = retrain(labels=str(labels_file), encoder=False, db_url=sqlite_url)
    assert result.promoted
    assert result.candidate in _artifact(RETRAIN_REPORT_KEY)


def test_review_queue_command(app, data_dir, db, sqlite_url):
    import dataclasses

    from tests.storage.factory import analysis

    long_title = "[/b] آبگرفتگی " + "خیابان " * 20
    ids = db.add_articles([article(1, title=long_title), article(2)])
    db.save_analyses([(ids[0], dataclasses.replace(analysis(), uncertainty=0.8)),
                      (ids[1], dataclasses.replace(analysis(), uncertainty=0.1))])
    r = run(app, "review-queue", "--db", sqlite_url, "--limit", "5")
    assert r.exit_code == 0, r.output
    assert "[/b] آبگرفتگی" in r.output and "…" in r.output and "0.80" in r.output
    assert r.output.index("0.80") < r.output.index("0.10")
    lines = [json.loads(x) for x in run(app, "review-queue", "--db", sqlite_url, "--json").output.splitlines()]
    assert [x["id"] for x in lines] == ids and lines[0]["title"] == long_title and lines[0]["uncertainty"] == 0.8
    assert run(app, "review-queue", "--db", sqlite_url, "--since", "2099-01-01").exit_code == 0
    assert "Nothing to review" in run(app, "review-queue", "--db", sqlite_url, "--since", "2099-01-01").output
    bad = run(app, "review-queue", "--db", sqlite_url, "--group", "parks")
    assert bad.exit_code == 2 and "Invalid value for '--group'" in bad.output


def test_the_retrain_cv_is_eval_cv_when_there_are_no_corrections(data_dir):
    from flows.learning import cross_validate_with
    from nlp.train import cross_validate

    rows = label_rows()
    assert cross_validate_with(rows, [], encoder=None) == cross_validate(rows, encoder=None)
    # With corrections only labelled rows are scored: the same items as the recorded figures.
    extra = [{**rows[6], "id": "mw-1", "domain": "civil_works_traffic"}]
    assert cross_validate_with(rows, extra, encoder=None).n == len(rows)
