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
