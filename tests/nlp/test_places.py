"""Places: Rasht vs «رشته», neighbourhoods, ambiguous names, the rasht rule."""

from nlp.places import find_places, is_rasht


def test_rasht_is_not_found_inside_reshte():
    assert find_places("قهرمانی در رشته کشتی") == ()


def test_rasht_and_neighbourhoods():
    places = find_places("آبگرفتگی در گلسار و خیابان مطهری رشت و پل عراق")
    assert "رشت" in places and "گلسار" in places and "خیابان مطهری" in places


def test_places_without_half_space():
    assert "سبزه میدان" in find_places("تجمع در سبزه‌میدان رشت")
    assert "سبزه میدان" in find_places("تجمع در سبزهمیدان رشت") or "سبزه میدان" in find_places(
        "تجمع در سبزه میدان رشت")


def test_ambiguous_street_needs_rasht():
    assert find_places("ترافیک خیابان مطهری تهران") == ()
    assert "خیابان مطهری" in find_places("ترافیک خیابان مطهری رشت")


def test_gilan_towns():
    assert "لاهیجان" in find_places("شهرداری لاهیجان پارک ساخت")


def test_is_rasht_rule():
    assert is_rasht("آسفالت معابر رشت", "شهرداری آسفالت کرد", None)
    assert is_rasht("آسفالت معابر", "به گزارش خبرگزاری فارس از رشت، شهرداری منطقه ۲ معابر را آسفالت کرد", None)
    assert not is_rasht("شهرداری لاهیجان", "شهردار لاهیجان از ساخت پارک در این شهر خبر داد", None)
    assert not is_rasht("قهرمانی", "قهرمانی در رشته کشتی", None)
