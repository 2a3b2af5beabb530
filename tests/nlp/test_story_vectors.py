"""Stories with encoder vectors: a reworded report of one event joins it, unrelated ones stay apart.

Six short reports written for these tests: two of one road closure worded differently (few shared
words: TF-IDF alone misses them), a book fair, a football match, and two unrelated events in one
district told with the same phrases (TF-IDF alone joins them).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from mediawatch.records import ClusterItem
from nlp.dedup import cluster_stories
from nlp.encoder import encode_vector, encoder_problem, get_encoder, window_text
from nlp.normalize import clean_article

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)

TEXTS = [
    ("خیابان شهدای رشت از شنبه برای آسفالت‌ریزی بسته می‌شود",
     "معاون عمرانی شهرداری رشت اعلام کرد عملیات روکش آسفالت خیابان شهدا از روز شنبه آغاز می‌شود و این "
     "خیابان سه روز به روی خودروها بسته خواهد بود. رانندگان می‌توانند از مسیرهای جایگزین استفاده کنند."),
    ("سه روز محدودیت تردد در محور شهدا؛ روکش معابر مرکز شهر نو می‌شود",
     "با شروع بهسازی معابر مرکزی رشت، عبور و مرور وسایل نقلیه در محدوده شهدا از ابتدای هفته آینده تا "
     "دوشنبه ممنوع است. پلیس راهور از شهروندان خواست مسیرهای دیگر را انتخاب کنند."),
    ("نمایشگاه کتاب گیلان در مصلای رشت گشایش یافت",
     "بیست‌وپنجمین نمایشگاه کتاب استان گیلان با حضور ۲۰۰ ناشر از سراسر کشور در مصلای رشت آغاز به کار کرد "
     "و تا جمعه هر روز از ساعت ۹ تا ۲۱ پذیرای علاقه‌مندان است."),
    ("سپیدرود رشت در ورزشگاه عضدی به پیروزی رسید",
     "تیم فوتبال سپیدرود رشت عصر دیروز در ورزشگاه عضدی با دو گل میهمان تهرانی خود را شکست داد و سه امتیاز "
     "این دیدار را به دست آورد."),
    ("فرهنگسرای جدید محله گلسار رشت افتتاح شد",
     "فرهنگسرای محله گلسار رشت با حضور شهردار رشت و اعضای شورای شهر افتتاح شد و از هفته آینده کلاس‌های "
     "هنری برای کودکان و نوجوانان محله گلسار برگزار می‌کند."),
    ("باند سارقان منازل محله گلسار رشت دستگیر شدند",
     "فرمانده انتظامی رشت گفت اعضای باند سرقت از منازل محله گلسار رشت دستگیر شدند و اموال مسروقه به "
     "مالباختگان محله گلسار بازگردانده می‌شود."),
]
CLOSURE, CLOSURE_REWORDED, FAIR, MATCH, CENTRE, BURGLARY = range(1, 7)  # article ids


def items() -> list[ClusterItem]:
    out = []
    for k, (title, body) in enumerate(TEXTS):
        t, b = clean_article(title, "", body)
        when = T0 + timedelta(hours=k)
        out.append(ClusterItem(article_id=k + 1, source_id=f"outlet{k}", published_at=when, fetched_at=when,
                               norm_title=t, norm_body=b))
    return out


def synthetic_vectors(dim: int = 384) -> np.ndarray:
    """Unit vectors as an e5-like encoder gives them: every pair at cosine 0.80 (unrelated news shares a
    large common component), except the two closure reports at 0.95."""
    basis = np.eye(dim, dtype=np.float32)
    common = basis[0]
    own = [basis[k + 1] for k in range(len(TEXTS))]
    own[1] = 0.75 * own[0] + np.sqrt(1 - 0.75**2) * own[1]  # shares ¾ of the first report's own part
    v = np.stack([np.sqrt(0.8) * common + np.sqrt(0.2) * u for u in own])
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def with_vectors(its: list[ClusterItem], vectors, skip: tuple[int, ...] = ()) -> list[ClusterItem]:
    return [dataclasses.replace(it, embedding=None if it.article_id in skip else encode_vector(v))
            for it, v in zip(its, vectors, strict=True)]


def stories(its: list[ClusterItem]) -> set[frozenset[int]]:
    return {frozenset(c.member_ids) for c in cluster_stories(its)}


def test_synthetic_vectors_are_what_they_claim():
    v = synthetic_vectors()
    cos = v @ v.T
    assert cos[0, 1] == pytest.approx(0.95, abs=1e-6)
    assert cos[2, 3] == pytest.approx(0.80, abs=1e-6) and cos[4, 5] == pytest.approx(0.80, abs=1e-6)


def test_tfidf_alone_misses_the_rewording_and_joins_the_district_pair():
    got = stories(items())
    assert frozenset({CLOSURE}) in got and frozenset({CLOSURE_REWORDED}) in got
    assert frozenset({CENTRE, BURGLARY}) in got


def test_vectors_join_the_reworded_report_and_part_the_unrelated_pair():
    got = stories(with_vectors(items(), synthetic_vectors()))
    assert got == {frozenset({CLOSURE, CLOSURE_REWORDED}), frozenset({FAIR}), frozenset({MATCH}),
                   frozenset({CENTRE}), frozenset({BURGLARY})}


def test_items_without_a_vector_fall_back_to_tfidf():
    # a pair where either side lacks a vector is judged by TF-IDF alone, the rest by the blend
    got = stories(with_vectors(items(), synthetic_vectors(), skip=(CLOSURE_REWORDED, BURGLARY)))
    assert frozenset({CLOSURE}) in got and frozenset({CLOSURE_REWORDED}) in got
    assert frozenset({CENTRE, BURGLARY}) in got
    got = stories(with_vectors(items(), synthetic_vectors(), skip=(FAIR,)))
    assert frozenset({CLOSURE, CLOSURE_REWORDED}) in got and frozenset({FAIR}) in got


def test_title_and_window_vectors_side_by_side_are_read_by_their_window_half():
    # nlp.encoder.article_vectors stores [title vector, window vector]; headlines of one event differ,
    # so titles that disagree (orthogonal here) must not part the closure reports the windows join
    window = synthetic_vectors()
    titles = np.eye(384, dtype=np.float32)[100 : 100 + len(TEXTS)]
    got = stories(with_vectors(items(), np.hstack([titles, window])))
    assert got == stories(with_vectors(items(), window))
    assert frozenset({CLOSURE, CLOSURE_REWORDED}) in got


def test_a_vector_of_another_length_counts_as_absent():
    its = with_vectors(items(), synthetic_vectors())
    its[BURGLARY - 1] = dataclasses.replace(its[BURGLARY - 1], embedding=encode_vector(np.ones(8) / np.sqrt(8)))
    got = stories(its)
    assert frozenset({CLOSURE, CLOSURE_REWORDED}) in got and frozenset({CENTRE, BURGLARY}) in got


def test_real_encoder_groups_the_reworded_report_and_parts_the_district_pair():
    enc = get_encoder()
    if enc is None:
        pytest.skip(f"no encoder here: {encoder_problem()}")
    its = items()
    vectors = enc.encode([window_text(it.norm_title, it.norm_body) for it in its])
    got = stories(with_vectors(its, vectors))
    assert frozenset({CLOSURE, CLOSURE_REWORDED}) in got
    assert frozenset({FAIR}) in got and frozenset({MATCH}) in got
    assert frozenset({CENTRE}) in got and frozenset({BURGLARY}) in got
