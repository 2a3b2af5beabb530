"""The shipped model on hand-written Persian articles with obvious labels."""

from mediawatch.records import Analysis, Domain, Tone

WASTE = (
    "زباله‌ها در کوچه‌های گلسار رشت مانده است",
    "ساکنان گلسار رشت از انباشت زباله و بوی تعفن در کوچه‌ها گلایه دارند. یکی از اهالی گفت: چند روز است "
    "ماشین حمل زباله شهرداری به محله ما نیامده و شیرابه زباله‌ها کف کوچه را گرفته است. شهروندان خواستار "
    "رسیدگی فوری سازمان مدیریت پسماند شهرداری رشت به این مشکل هستند. پاکبانان نیز از حقوق معوق خود گلایه دارند.",
)
FOOTBALL = (
    "پیروزی تیم ملی فوتبال ایران در بازی دوستانه",
    "تیم ملی فوتبال ایران در دیداری دوستانه با دو گل از حریف خود پیروز شد. سرمربی تیم ملی پس از بازی گفت "
    "بازیکنان برای جام جهانی آماده می‌شوند و اردوی بعدی تیم ماه آینده در تهران برگزار می‌شود. "
    "فدراسیون فوتبال نیز از برنامه بازی‌های تدارکاتی تیم خبر داد.",
)
TRAFFIC = (
    "افتتاح تقاطع غیرهمسطح در رشت با حضور شهردار",
    "به گزارش روابط عمومی شهرداری رشت، تقاطع غیرهمسطح بلوار شهید انصاری با حضور شهردار رشت و اعضای شورای "
    "اسلامی شهر افتتاح شد و زیر بار ترافیک رفت. شهردار رشت گفت: این پروژه عمرانی بار ترافیکی این محور را "
    "کاهش می‌دهد و حمل و نقل عمومی شهر را روان می‌کند. عملیات آسفالت و خط کشی معابر اطراف نیز پایان یافت.",
)


def test_waste_complaint(analyzer):
    a = analyzer.analyze(*WASTE)
    assert isinstance(a, Analysis)
    assert a.municipal
    assert a.domain is Domain.urban_services
    assert a.rasht
    assert a.concern and a.key_sentence
    assert a.key_sentence in a.norm_title + "\n" + a.norm_body
    assert "گلسار" in a.places


def test_national_football_is_other(analyzer):
    a = analyzer.analyze(*FOOTBALL)
    assert not a.municipal
    assert a.domain is Domain.other
    assert a.tone is None
    assert not a.rasht
    assert a.domain_scores["other"] > 0.5


def test_opening_is_civil_works_positive(analyzer):
    a = analyzer.analyze(*TRAFFIC)
    assert a.municipal and a.rasht
    assert a.domain is Domain.civil_works_traffic
    assert not a.concern
    assert a.tone is Tone.positive


def test_batch_matches_single_and_scores_sum_to_one(analyzer):
    many = analyzer.analyze_many([(*WASTE, ""), (*FOOTBALL, ""), (*TRAFFIC, "")])
    assert [a.domain for a in many] == [analyzer.analyze(*x).domain for x in (WASTE, FOOTBALL, TRAFFIC)]
    for a in many:
        assert abs(sum(a.domain_scores.values()) - 1.0) < 0.01
        assert a.model_version == analyzer.model_version != "unknown"


def test_large_batch_in_worker_processes_matches_one_process(analyzer):
    """The sparse path (no encoder: the fallback, and the cheap benchmark) splits large batches over
    worker processes; with the encoder a batch stays in one process (the engine uses every core)."""
    import threading

    from nlp.analyze import PARALLEL_MIN, Analyzer

    texts = ["شهرداری رشت خیابان گلسار را آسفالت کرد.", "شهروندان از انباشت زباله در خیابان شکایت دارند؟",
             "تیم فوتبال ملی در تهران تمرین کرد.", "شورای شهر رشت بودجه سال آینده را تصویب کرد."]
    items = [(f"خبر {i}", f"{texts[i % 4]} بند {i}.", "") for i in range(PARALLEL_MIN + 20)]
    an = Analyzer(analyzer.model, analyzer.model_version, encoder=None)
    try:
        pooled = an.analyze_many(items)
        if threading.active_count() == 1:
            assert an._pool is not None  # the batch really went to worker processes
    finally:
        if an._pool is not None:
            an._pool.close()
    assert pooled == an.analyze_many(items, workers=1)


def test_fast_ngram_transform_equals_scikit_learn_on_the_shipped_model(analyzer):
    from nlp.ngrams import tfidf_transform

    docs = ["شهرداری رشت خیابان‌ها را آسفالت کرد", "a  b\tcd", "", "زباله در گلسار؟ ۱۲۳ GIS"]
    for vec in (analyzer.model.word, analyzer.model.char):
        assert abs(tfidf_transform(vec, docs) - vec.transform(docs)).max() < 1e-6


def test_a_changed_decision_rule_is_a_new_model_version(analyzer, monkeypatch):
    """Analyses are stored per model version: a release that moves a threshold or a weight must be
    seen as a new version, so the next `process` re-judges stored articles by the new rule."""
    import nlp.analyze as A

    before = A.Analyzer(analyzer.model, "v1", encoder=None).model_version
    assert before.startswith("v1.r") and before == A.Analyzer(analyzer.model, "v1", encoder=None).model_version
    monkeypatch.setattr(A, "CONCERN_THRESHOLD", A.CONCERN_THRESHOLD + 0.05)
    assert A.Analyzer(analyzer.model, "v1", encoder=None).model_version != before
    monkeypatch.undo()
    monkeypatch.setattr(A, "DOMAIN_WEIGHTS", A.DOMAIN_WEIGHTS * 1.1)
    assert A.Analyzer(analyzer.model, "v1", encoder=None).model_version != before
