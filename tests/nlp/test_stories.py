"""Stories: one event reported in different words days apart is one story; other news is not."""

from datetime import UTC, datetime, timedelta

from mediawatch.records import ClusterItem
from nlp.dedup import cluster_stories
from nlp.normalize import clean_article

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

TEXTS = [
    ("شیرابه زباله‌های سراوان دوباره به رودخانه زرجوب رسید",
     "ساکنان محله‌های حاشیه زرجوب در رشت از بوی شدید شیرابه و آلودگی رودخانه گلایه دارند. به گفته اهالی، "
     "شیرابه مرکز دفن سراوان پس از بارش‌های اخیر دوباره وارد آبراهه‌ها شده و به زرجوب رسیده است. "
     "یک عضو شورای شهر رشت خواستار پاسخگویی شهرداری درباره تصفیه‌خانه شیرابه سراوان شد."),
    ("گلایه اهالی از آلودگی زرجوب؛ تصفیه‌خانه شیرابه سراوان هنوز کامل نشده است",
     "سه روز پس از گزارش آلودگی رودخانه زرجوب، اهالی می‌گویند بوی شیرابه همچنان در محله‌ها احساس می‌شود. "
     "شهرداری رشت وعده داده بود تصفیه‌خانه شیرابه مرکز دفن سراوان تا پایان پاییز کامل شود اما پیمانکار "
     "هنوز کار را تمام نکرده و شیرابه به زرجوب می‌ریزد."),
    ("جشنواره غذای رشت با حضور گردشگران در سبزه‌میدان برگزار شد",
     "نخستین روز جشنواره غذای رشت، شهر خلاق خوراک، با حضور هزاران گردشگر در سبزه‌میدان برگزار شد. "
     "آشپزهای گیلانی غذاهای محلی را عرضه کردند و معاونت فرهنگی شهرداری از برنامه‌های شبانه خبر داد."),
]


def _items():
    out = []
    for i, (title, body) in enumerate(TEXTS):
        t, b = clean_article(title, "", body)
        when = T0 + timedelta(days=3 * (i == 1))
        out.append(ClusterItem(article_id=i + 1, source_id=f"s{i}", published_at=when, fetched_at=when,
                               norm_title=t, norm_body=b))
    return out


def test_a_complaint_reported_again_days_later_is_one_story():
    clusters = {m: c.key for c in cluster_stories(_items()) for m in c.member_ids}
    assert clusters[1] == clusters[2]  # continuing, not new
    assert clusters[3] != clusters[1]  # the festival is another story


def test_reports_beyond_the_window_are_separate_stories():
    items = _items()
    late = items[1].__class__(**{**{f: getattr(items[1], f) for f in items[1].__slots__},
                                 "published_at": T0 + timedelta(days=30)})
    clusters = {m: c.key for c in cluster_stories([items[0], late, items[2]], window_days=7) for m in c.member_ids}
    assert clusters[1] != clusters[2]
