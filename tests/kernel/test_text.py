"""Display form of scraped Persian: Arabic letter forms become Persian, nothing else changes."""

from mediawatch.text import display_fa, persian_letters


def test_display_fa_turns_arabic_letters_persian_and_keeps_the_rest():
    assert display_fa(" شيرابه سراوان در زرجوب؛ كوچه 12 ") == "شیرابه سراوان در زرجوب؛ کوچه 12"
    assert display_fa("می‌شود") == "می‌شود"  # half-space kept


def test_persian_letters_keeps_spacing_but_unifies_no_break_spaces():
    assert persian_letters(" رشت\xa0- ايرنا - ") == " رشت - ایرنا - "


def test_long_urls_are_shortened_in_messages_and_short_ones_kept_whole():
    from mediawatch.text import short_message, short_url

    persian = "https://gilkhabar.ir/news/123/" + "%D8%B1%D8%B4%D8%AA-" * 20  # 380 characters: a real slug
    assert short_url(persian) == persian and short_message(f"{persian}: HTTP 404") == f"{persian}: HTTP 404"
    huge = "http://a.example/" + "x" * 100_000
    shown = short_url(huge)
    assert len(shown) < 700 and shown.startswith("http://a.example/xxx") and "100,017 characters" in shown
    msg = short_message(f"timeout on {huge} after 20 s")
    assert msg.startswith("timeout on http://a.example/") and msg.endswith(" after 20 s") and len(msg) < 700
    assert len(short_message("y" * 100_000)) == 2000
