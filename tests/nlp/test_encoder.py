"""The sentence encoder, the joint model that reads its vectors, and the fallback when it cannot load.

A tiny model is trained here on the demo articles (written by us, labelled in demo/content/*.labels.jsonl),
so these tests need neither ../shared nor the shipped model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nlp import encoder as enc_mod
from nlp.analyze import SPARSE_ONLY, Analyzer, criticises_municipality, decision_rules, uncertainty
from nlp.classify import Model
from nlp.encoder import CachedEncoder, article_vectors, decode_vector, encode_vector, get_encoder
from nlp.normalize import clean_article

DEMO = Path(__file__).resolve().parents[2] / "demo" / "content"


@pytest.fixture(scope="module")
def encoder():
    e = get_encoder()
    if e is None:
        if os.environ.get("CI") == "true":  # CI runs on x86-64 Linux, where the wheel must load
            pytest.fail(f"the encoder must load in CI: {enc_mod.encoder_problem()}")
        pytest.skip(f"encoder not available here: {enc_mod.encoder_problem()}")
    return e


@pytest.fixture(scope="module")
def demo_rows():
    """The demo articles with our labels, as label rows (title, text, labels)."""
    rows = []
    for part in sorted(DEMO.glob("w*.jsonl")):
        if part.name.endswith(".labels.jsonl"):
            continue
        labels = {r["id"]: r for r in map(json.loads, part.with_suffix("").with_suffix(".labels.jsonl")
                                              .read_text(encoding="utf-8").splitlines())}
        for line in part.read_text(encoding="utf-8").splitlines():
            a = json.loads(line)
            lab = labels[a["id"]]
            body = a["body"] if isinstance(a["body"], str) else "\n\n".join(a["body"])
            rows.append({"title": a["title"], "lead": a.get("lead", ""), "text": body, **lab})
    assert len(rows) > 100
    return rows


@pytest.fixture(scope="module")
def joint_model(encoder, demo_rows):
    cleaned = [clean_article(r["title"], r.get("lead", ""), r["text"]) for r in demo_rows]
    vectors = article_vectors(encoder, cleaned)
    return Model().fit(cleaned, demo_rows, vectors, encoder.name), cleaned


def test_vectors_are_normalised_and_meaningful(encoder):
    v = encoder.encode(["زباله در خیابان‌های رشت جمع نشده است",
                        "پسماند شهری در معابر رشت انباشته شده",
                        "تیم ملی فوتبال در بازی دوستانه پیروز شد"])
    assert v.shape == (3, encoder.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert v[0] @ v[1] > v[0] @ v[2]  # two reports of waste are closer than waste and football


def test_stored_vector_round_trip_is_close(encoder):
    v = encoder.encode(["شهرداری رشت"])[0]
    back = decode_vector(encode_vector(v))
    assert back.dtype == np.float32 and back.shape == v.shape
    assert float(back @ v) > 0.999


def test_cached_encoder_encodes_once_and_persists(encoder, tmp_path):
    calls = []

    class Counting:
        name, dim = encoder.name, encoder.dim

        def encode(self, texts):
            calls.append(list(texts))
            return encoder.encode(texts)

    path = tmp_path / "cache.npz"
    c = CachedEncoder(Counting(), path)
    a = c.encode(["یک", "دو", "یک"])
    assert calls == [["یک", "دو"]]  # a repeated text is encoded once
    c.save()
    again = CachedEncoder(Counting(), path).encode(["دو", "یک"])
    assert len(calls) == 1  # read back from the file, nothing encoded
    assert np.allclose(again[1], a[0])


def test_joint_model_analyses_with_vectors_and_names_the_encoder(joint_model, encoder):
    model, cleaned = joint_model
    an = Analyzer(model, "test-1", encoder=encoder)
    assert an.model_version == f"test-1.r{decision_rules()}+{encoder.name}" and an.fallback is None
    out = an.analyze_normalized(cleaned[:20])
    assert {a.model_version for a in out} == {an.model_version}
    encoded = [a for a in out if a.embedding is not None]
    assert encoded and all(a.encoder == encoder.name for a in encoded)
    assert all(len(a.embedding) == 2 * encoder.dim * 2 for a in encoded)  # float16 title + window
    # A stored vector is used instead of encoding again: same judgement, same bytes back.
    again = an.analyze_normalized(cleaned[:20], [a.embedding for a in out])
    assert [a.domain for a in again] == [a.domain for a in out]
    assert [a.embedding for a in again] == [a.embedding for a in out]


def test_the_working_group_shown_is_the_one_that_decided(joint_model, encoder):
    """The working group is chosen after DOMAIN_WEIGHTS; domain_scores hold the weighted shares, so the
    article page's top score is always the group the article went to, and the shares still add up to
    P(municipal)."""
    model, cleaned = joint_model
    out = Analyzer(model, "t", encoder=encoder).analyze_normalized(cleaned[:60])
    municipal = [a for a in out if a.municipal]
    assert municipal
    for a in municipal:
        groups = {d: s for d, s in a.domain_scores.items() if d != "other"}
        assert max(groups, key=lambda d: groups[d]) == a.domain.value
        assert sum(groups.values()) == pytest.approx(a.municipal_score, abs=1e-3)


def test_domain_weights_shift_a_close_call_and_keep_shares_summing_to_one():
    from nlp.analyze import DOMAIN_WEIGHTS, weighted_shares
    from nlp.classify import MUNICIPAL_DOMAINS

    lo, hi = int(np.argmin(DOMAIN_WEIGHTS)), int(np.argmax(DOMAIN_WEIGHTS))
    raw = np.zeros(len(MUNICIPAL_DOMAINS))
    raw[lo], raw[hi] = 0.52, 0.48  # the down-weighted group just ahead before weighting
    shares = weighted_shares(raw)
    assert shares.sum() == pytest.approx(1.0) and int(np.argmax(shares)) == hi
    assert np.array_equal(weighted_shares(np.zeros(len(MUNICIPAL_DOMAINS))), np.zeros(len(MUNICIPAL_DOMAINS)))
    batch = weighted_shares(np.vstack([raw, np.zeros_like(raw), raw[::-1]]))  # a night's rows at once
    assert np.allclose(batch[0], shares) and not batch[1].any() and batch[2].sum() == pytest.approx(1.0)


def test_without_the_encoder_the_joint_model_falls_back_and_says_so(joint_model, monkeypatch):
    model, cleaned = joint_model
    monkeypatch.setenv("MEDIAWATCH_ENCODER", "none")
    enc_mod.reset_encoder()
    try:
        an = Analyzer(model, "test-1")
        assert an.model_version == f"test-1.r{decision_rules()}+{SPARSE_ONLY}"
        assert "MEDIAWATCH_ENCODER=none" in (an.fallback or "")
        out = an.analyze_normalized(cleaned[:10])
        assert len(out) == 10 and all(a.embedding is None for a in out)
        assert all(a.model_version.endswith(SPARSE_ONLY) for a in out)
    finally:
        monkeypatch.delenv("MEDIAWATCH_ENCODER")
        enc_mod.reset_encoder()


def test_a_model_trained_with_another_encoder_is_not_fed_this_one(joint_model, encoder):
    model, cleaned = joint_model

    class Other:
        name, dim = "other-encoder@1", encoder.dim

        def encode(self, texts):  # pragma: no cover - must never be called
            raise AssertionError("a mismatched encoder was used")

    an = Analyzer(model, "test-1", encoder=Other())
    assert an.model_version.endswith(SPARSE_ONLY) and "other-encoder@1" in an.fallback
    assert len(an.analyze_normalized(cleaned[:3])) == 3


def test_explicit_criticism_of_the_municipality_reads_negative(analyzer):
    title = "انتقاد شدید شهروندان از شهرداری رشت"
    assert criticises_municipality(title, "")
    a = analyzer.analyze(title, "شهروندان می‌گویند شهرداری رشت در این مدت هیچ کاری نکرده است.")
    assert a.municipal and a.tone is not None and a.tone.value == "negative"
    # Criticism by the council of someone else, or a complaint the municipality answers, is not it.
    assert not criticises_municipality("انتقاد شدید اعضای شورای شهر از غیبت استاندار", "")
    assert not criticises_municipality("", "شهرداری رشت با اشاره به نارضایتی شهروندان از دستفروشی، طرح "
                                           "ساماندهی را اعلام کرد.")


def test_uncertainty_ranks_coin_tosses_above_sure_judgements():
    sure_other = uncertainty(0.02, np.array([0.2] * 5 + [0.0]), 0.1)
    sure_muni = uncertainty(0.98, np.array([0.9, 0.05, 0.05, 0, 0, 0]), 0.03)
    torn_group = uncertainty(0.98, np.array([0.45, 0.44, 0.11, 0, 0, 0]), 0.03)
    torn_muni = uncertainty(0.5, np.array([0.9, 0.05, 0.05, 0, 0, 0]), 0.03)
    assert sure_other < 0.1 and sure_muni < 0.2
    assert torn_group > 0.9 and torn_muni == 1.0
    # The concern doubt peaks where the judgement flips (the threshold), not at 0.5.
    from nlp.analyze import CONCERN_THRESHOLD

    sure = np.array([0.9, 0.05, 0.05, 0, 0, 0])
    assert uncertainty(0.98, sure, CONCERN_THRESHOLD) == 1.0
    assert uncertainty(0.98, sure, CONCERN_THRESHOLD + 0.1) < 1.0 and uncertainty(0.98, sure, 1.0) < 0.2


def test_encoder_settings_come_from_the_settings_object(monkeypatch):
    """MEDIAWATCH_ENCODER / _THREADS are settings like any other: a bad value is a clear error naming the
    variable (and is not remembered as "no encoder"), a good one loads."""
    from mediawatch.errors import ConfigError

    monkeypatch.setenv("MEDIAWATCH_ENCODER_THREADS", "abc")
    enc_mod.reset_encoder()
    try:
        with pytest.raises(ConfigError, match="MEDIAWATCH_ENCODER_THREADS"):
            get_encoder()
        monkeypatch.setenv("MEDIAWATCH_ENCODER", "word2vec")
        monkeypatch.setenv("MEDIAWATCH_ENCODER_THREADS", "1")
        assert get_encoder() is None and "unknown encoder 'word2vec'" in enc_mod.encoder_problem()
    finally:
        monkeypatch.delenv("MEDIAWATCH_ENCODER_THREADS")
        monkeypatch.delenv("MEDIAWATCH_ENCODER")
        enc_mod.reset_encoder()
