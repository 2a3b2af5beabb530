"""The classify CLI contract (subprocess) and label-file errors."""

import json
import subprocess
import sys

from flows.commands.nlp import CLASSIFY_KEYS

CMD = [sys.executable, "-m", "flows.cli"]


def run(args, stdin=""):
    return subprocess.run([*CMD, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_classify_contract_and_bad_line():
    lines = [
        json.dumps({"id": "a1", "title": "آبگرفتگی معابر رشت", "text": "خیابان‌های گلسار رشت پس از باران آب گرفت و شهروندان گلایه کردند."}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": 7, "title": "فوتبال", "text": "تیم ملی فوتبال در تهران تمرین کرد."}, ensure_ascii=False),
        json.dumps({"id": "x", "title": "بدون متن"}, ensure_ascii=False),
    ]
    res = run(["classify", "-"], "\n".join(lines) + "\n")
    assert res.returncode == 1
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a1", 7]
    for o in out:
        assert tuple(o) == CLASSIFY_KEYS
        assert isinstance(o["municipal"], bool) and isinstance(o["places"], list)
        assert set(o["domain_scores"]) >= {"other", "urban_services"}
    assert "line 2" in res.stderr and "line 4" in res.stderr


def test_classify_file_ok(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"id": "b", "title": "شهرداری رشت", "text": "شهردار رشت از آسفالت معابر خبر داد."}, ensure_ascii=False) + "\n", encoding="utf-8")
    res = run(["classify", str(p)])
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["id"] == "b"


def test_eval_malformed_labels_names_file_line_field(tmp_path):
    p = tmp_path / "labels.jsonl"
    good = {"id": "1", "title": "t", "text": "متن", "municipal": True, "domain": "urban_services",
            "rasht": True, "concern": False, "tone": "neutral"}
    bad = {**good, "domain": "parks"}
    p.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    res = run(["eval", "--labels", str(p)])
    assert res.returncode == 2
    assert str(p) in res.stderr and ":2:" in res.stderr and "'domain'" in res.stderr
    assert "Traceback" not in res.stderr


def test_classify_reports_a_line_in_another_encoding_and_goes_on(tmp_path):
    good = json.dumps({"id": "ok", "title": "شهرداری رشت", "text": "آسفالت معابر رشت"}, ensure_ascii=False)
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(good.encode() + b"\n" + '{"id": "w", "title": "رشت", "text": "شهر"}'.encode("cp1256") + b"\n"
                  + good.replace('"ok"', '"ok2"').encode() + b"\n")
    res = subprocess.run([*CMD, "classify", str(p)], capture_output=True, timeout=120)
    assert res.returncode == 1
    assert [json.loads(x)["id"] for x in res.stdout.decode().splitlines()] == ["ok", "ok2"]
    assert "line 2: not UTF-8" in res.stderr.decode()


def test_a_damaged_model_file_is_named_with_what_to_do(tmp_path):
    import pytest

    from nlp.analyze import MODEL_DIR, MODEL_FILE, Analyzer, ModelNotFoundError

    (tmp_path / MODEL_FILE).write_bytes((MODEL_DIR / MODEL_FILE).read_bytes()[:1000])  # cut short
    with pytest.raises(ModelNotFoundError, match=rf"{MODEL_FILE} is damaged.*retrain"):
        Analyzer.load(tmp_path)


def test_train_writes_a_loadable_model_atomically(tmp_path):
    from nlp.analyze import MODEL_FILE, Analyzer
    from nlp.train import train_model

    base = {"title": "", "secondary": None, "tone": None}
    texts = [
        ("آسفالت خیابان‌های رشت و ترافیک میدان شهرداری", "civil_works_traffic", True),
        ("جمع‌آوری زباله و شیرابه سراوان در رشت", "urban_services", True),
        ("جشنواره فرهنگی شهرداری رشت در سبزه‌میدان", "culture_social_tourism", True),
        ("تیم ملی فوتبال در تهران تمرین کرد", "other", False),
    ]
    rows = [{**base, "id": f"{i}-{k}", "text": f"{t} گزارش {k}", "domain": d, "municipal": m, "rasht": m,
             "concern": k % 2 == 0, "tone": ("positive", "neutral", "negative")[k % 3] if m else None}
            for i, (t, d, m) in enumerate(texts) for k in range(6)]
    path = train_model(rows, tmp_path)
    assert path == tmp_path / MODEL_FILE and not list(tmp_path.glob("*.tmp"))
    a = Analyzer.load(tmp_path)
    assert a.model_version != "unknown"
    # The file holds the model just trained: it gives each training text back its working group.
    for text, domain, _ in texts:
        assert a.analyze("", text).domain == domain, text
