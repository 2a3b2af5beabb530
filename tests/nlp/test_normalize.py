"""Normaliser: half-spaces kept, Arabic forms unified, boilerplate and glued Latin removed."""

from nlp.normalize import ZWNJ, clean_article, fold, normalize


def test_half_space_is_kept():
    out = normalize("شهروندان می‌گویند خیابان‌ها خراب است")
    assert f"می{ZWNJ}گویند" in out
    assert f"خیابان{ZWNJ}ها" in out


def test_missing_half_space_is_restored_for_mi_verbs():
    assert f"می{ZWNJ}شود" in normalize("این کار انجام میشود")


def test_arabic_letters_and_digits_are_unified():
    out = normalize("شهرداري رشت كار ١٢٣ و 45")
    assert "ي" not in out and "ك" not in out
    assert "شهرداری" in out and "کار" in out
    assert "۱۲۳" in out and "۴۵" in out


def test_fold_makes_ascii_digits_and_spaces():
    assert fold(f"ماده ۱۰۰ و آتش{ZWNJ}نشانی") == "ماده 100 و آتش نشانی"


def test_glued_latin_fragment_is_removed():
    assert normalize("بهره مندی hasaniاز خرد جمعی") == f"بهره{ZWNJ}مندی از خرد جمعی"


def test_standalone_latin_word_is_kept():
    assert "GIS" in normalize("سامانه GIS شهرداری")


def test_boilerplate_and_signatures_are_dropped():
    title, body = clean_article(
        "عنوان خبر",
        "",
        "بند اول خبر درباره پارک است.\nانتهای پیام\nShare\nکد خبر: ۱۲۳۴۵\nبند دوم تمام شد. /ایسنا\n// گیل‌آوا",
    )
    assert title == "عنوان خبر"
    assert "انتهای پیام" not in body and "Share" not in body and "کد خبر" not in body
    assert "ایسنا" not in body and "گیل" not in body
    assert "بند دوم تمام شد." in body


def test_slash_inside_text_is_not_a_signature():
    _, body = clean_article("", "", "جلسه در تاریخ ۱۴۰۳/۰۵/۱۲ برگزار شد")
    assert "۱۲" in body


def test_lead_repeated_as_first_paragraph_is_dropped():
    lead = "شهردار رشت از آغاز عملیات آسفالت خیابان‌های منطقه دو در هفته آینده خبر داد."
    _, body = clean_article("عنوان", lead, lead + "\n\nبه گفته او این طرح دو ماه طول می‌کشد.")
    paras = body.split("\n\n")
    assert len(paras) == 2
    assert paras[0].startswith("شهردار رشت")
    assert body.count("شهردار رشت از آغاز") == 1


def test_lead_is_kept_when_body_does_not_repeat_it():
    _, body = clean_article("عنوان", "لید کوتاه خبر", "متن اصلی خبر")
    assert body.split("\n\n") == ["لید کوتاه خبر", "متن اصلی خبر"]


def test_fast_hazm_patterns_match_hazms_own():
    """Every rewritten hazm pattern (literal start, needle) changes text exactly as hazm's original does."""
    import random
    import re

    from hazm import constants as c

    from nlp.normalize import _FAST_EQUIVALENT

    replacement = dict(c.PERSIAN_STYLE_PATTERNS + c.EXTRA_SPACE_PATTERNS + c.AFFIX_SPACING_PATTERNS
                       + c.PUNCTUATION_SPACING_PATTERNS)
    rng = random.Random(0)
    alphabet = ["\u200c", " ", "\n", "ب", "ا", "a", "1", "۲", ".", "ـ", "«", "می", "ه", "ی", "ها", "ن", "م", '"', "ش"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12))) for _ in range(20000)]
    checked = 0
    for original, fast in _FAST_EQUIVALENT.items():
        if fast is None:
            continue
        pattern, needle = fast
        repl = replacement[original]
        for t in texts:
            ours = re.sub(pattern, repl, t) if needle in t else t
            assert ours == re.sub(original, repl, t), (original, t)
        checked += 1
    assert checked >= 14
