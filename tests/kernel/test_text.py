"""Display form of scraped Persian: Arabic letter forms become Persian, nothing else changes."""

from mediawatch.text import display_fa, persian_letters


def test_display_fa_turns_arabic_letters_persian_and_keeps_the_rest():
    assert display_fa(" شيرابه سراوان در زرجوب؛ كوچه 12 ") == "شیرابه سراوان در زرجوب؛ کوچه 12"
    assert display_fa("می‌شود") == "می‌شود"  # half-space kept


def test_persian_letters_keeps_spacing_but_unifies_no_break_spaces():
    assert persian_letters(" رشت\xa0- ايرنا - ") == " رشت - ایرنا - "
