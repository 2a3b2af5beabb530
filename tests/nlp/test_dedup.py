"""Duplicates and stories on hand-written articles."""

from datetime import UTC, datetime, timedelta

from mediawatch.records import ClusterItem
from nlp.dedup import cluster_stories
from nlp.normalize import clean_article

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)

BODY = (
    "به گزارش خبرنگار ما، ساکنان محله پیربازار رشت از تجمع زباله در کوچه‌ها و بوی تعفن ناشی از آن گلایه دارند. "
    "یکی از اهالی گفت: سه روز است که ماشین حمل زباله به این محله نیامده و کیسه‌های زباله کنار خیابان مانده است.\n\n"
    "معاون خدمات شهری شهرداری رشت در پاسخ گفت: خرابی دو دستگاه خودروی حمل پسماند باعث تأخیر شده و از فردا "
    "جمع‌آوری زباله در پیربازار به روال عادی برمی‌گردد. وی افزود: پیمانکار جدید نیز به زودی کار خود را آغاز می‌کند.\n\n"
    "اعضای شورای شهر رشت نیز خواستار رسیدگی فوری به وضعیت پسماند در محلات حاشیه شهر شدند و گفتند "
    "شهروندان نباید تاوان ضعف پیمانکاران را بدهند."
)
STORY = (
    "شورای شهر رشت در جلسه علنی دیروز وضعیت جمع‌آوری زباله در پیربازار را بررسی کرد. رئیس کمیسیون خدمات "
    "شهری شورا گفت پیمانکار پسماند باید پاسخگو باشد و زباله‌های پیربازار تا پایان هفته جمع شود."
)
OTHER = (
    "تیم فوتبال سپیدرود رشت در ورزشگاه عضدی میزبان حریف تهرانی خود بود و با دو گل به پیروزی رسید. "
    "سرمربی تیم پس از بازی از هواداران برای حمایت‌شان تشکر کرد و گفت بازی بعدی سخت‌تر خواهد بود."
)


def item(i, title, body, hours=0, source="s"):
    t, b = clean_article(title, "", body)
    return ClusterItem(article_id=i, source_id=source, published_at=T0 + timedelta(hours=hours),
                       fetched_at=T0 + timedelta(hours=hours + 1), norm_title=t, norm_body=b)


def test_exact_and_near_duplicates_and_story():
    items = [
        item(1, "زباله در کوچه‌های پیربازار", BODY, 0, "a"),
        item(2, "زباله در کوچه‌های پیربازار", BODY, 2, "b"),  # exact copy
        # republication: new title, first sentence cut, signature added
        item(3, "گلایه اهالی پیربازار از زباله", BODY.split(". ", 1)[1] + "\n\n// گیل‌آوا", 3, "c"),
        item(4, "بررسی وضعیت زباله پیربازار در شورای شهر رشت", STORY, 20, "d"),
        item(5, "پیروزی سپیدرود رشت در خانه", OTHER, 5, "e"),
    ]
    clusters = cluster_stories(items)
    by_member = {m: c for c in clusters for m in c.member_ids}
    c = by_member[1]
    assert c.representative_id == 1
    assert set(c.member_ids) >= {1, 2, 3}
    assert c.duplicate_of.get(2) == 1
    assert c.duplicate_of.get(3) == 1
    assert 1 not in c.duplicate_of
    assert by_member[5].member_ids == (5,)
    assert 5 not in c.member_ids


def test_story_outside_window_is_separate():
    items = [item(1, "زباله در کوچه‌های پیربازار", BODY, 0), item(2, "زباله در کوچه‌های پیربازار", BODY, 24 * 30)]
    clusters = cluster_stories(items, window_days=7)
    # exact duplicates are still duplicates, but story similarity alone does not bridge a month
    assert len(clusters) in (1, 2)
    items = [item(1, "بررسی وضعیت زباله پیربازار", STORY, 0),
             item(2, "زباله در کوچه‌های پیربازار", BODY, 24 * 30)]
    assert len(cluster_stories(items, window_days=7)) == 2


def test_representative_is_earliest_complete():
    teaser = item(1, "زباله در کوچه‌های پیربازار", BODY[:150], 0)
    full = item(2, "زباله در کوچه‌های پیربازار", BODY, 1)
    clusters = cluster_stories([teaser, full])
    assert len(clusters) == 1
    assert clusters[0].representative_id == 2


def test_empty():
    assert cluster_stories([]) == []


def test_precomputed_shingles_give_the_same_clusters():
    from nlp.dedup import item_shingles

    body = "شهرداری رشت اعلام کرد عملیات آسفالت خیابان‌های منطقه دو از شنبه آغاز می‌شود و دو ماه طول می‌کشد."
    items = [item(1, "آغاز آسفالت منطقه دو", body), item(2, "آسفالت منطقه دو از شنبه", body + " /ایسنا", hours=2),
             item(3, "جشنواره فرهنگی", "جشنواره خوراک‌های سنتی گیلان در سبزه‌میدان رشت برگزار شد.", hours=3)]
    shingles = [item_shingles(it.norm_title, it.norm_body) for it in items]
    assert cluster_stories(items, shingles=shingles) == cluster_stories(items)
    assert any(len(c.member_ids) == 2 for c in cluster_stories(items, shingles=shingles))
