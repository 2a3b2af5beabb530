"""Hand-made digest items: a small, fully known night of news written by us (no scraped text)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from digests.records import Digest
from mediawatch.records import DigestItem, Domain, Scope, Source, SourceKind, SourceReport, Tone

# Wednesday 4 Azar 1405.
DAY = date(2026, 11, 25)  # Wednesday: a working morning; the digest covers Tuesday 07:00 → Wednesday 07:00
PERIOD_END = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 07:00 Tehran
PERIOD_START = PERIOD_END - timedelta(days=1)

SOURCES: dict[str, Source] = {
    sid: Source(id=sid, name=name, homepage=f"https://{sid}.example/", kind=kind, scope=scope)
    for sid, name, kind, scope in [
        ("gilkhabar", "گیل‌خبر", SourceKind.news_site, Scope.gilan),
        ("shomal", "روزنامه شمال", SourceKind.local_daily, Scope.gilan),
        ("agency", "خبرگزاری نمونه", SourceKind.agency, Scope.national),
        ("hamshahri", "روزنامه سراسری نمونه", SourceKind.national_daily, Scope.national),
        ("rasht_city", "پایگاه خبری شهرداری رشت", SourceKind.municipal_site, Scope.rasht),
        ("weekly", "هفته‌نامه باران", SourceKind.weekly, Scope.gilan),
    ]
}

_ids = iter(range(1, 1_000_000))


def _item(
    title: str,
    *,
    source: str = "gilkhabar",
    domain: Domain | str = Domain.urban_services,
    hours_before_end: float = 5.0,
    concern: bool = False,
    score: float = 0.0,
    sentence: str = "",
    tone: Tone | None = None,
    rasht: bool = True,
    cluster: str | None = None,
    secondary: Domain | None = None,
    url: str | None = None,
    duplicate: bool = False,
    lead: str = "",
    end: datetime = PERIOD_END,
    article_id: int | None = None,
) -> DigestItem:
    """One analysed article, `hours_before_end` hours before the period's end."""
    aid = article_id if article_id is not None else next(_ids)
    src = SOURCES[source]
    at = end - timedelta(hours=hours_before_end)
    return DigestItem(
        article_id=aid,
        url=url if url is not None else f"https://{source}.example/news/{aid}",
        source_id=source,
        source_name=src.name,
        source_kind=src.kind,
        title=title,
        lead=lead,
        published_at=at,
        fetched_at=at + timedelta(minutes=30),
        municipal=tone is not None,
        domain=Domain(domain),
        secondary=secondary,
        rasht=rasht,
        places=("رشت",) if rasht else (),
        concern=concern,
        concern_score=score,
        key_sentence=sentence,
        tone=tone,
        cluster_key=cluster,
        is_duplicate=duplicate,
    )


def night(end: datetime = PERIOD_END) -> tuple[list[DigestItem], list[DigestItem]]:
    """(items of the period, history before it): three concern stories of known rank, PR, management."""
    neg = Tone.negative

    def item(*args, **kw):
        return _item(*args, end=end, **kw)

    items = [
        # 1. Waste on the streets of Golsar: 4 articles, 4 outlets incl. agency, Rasht, negative, new.
        item(
            "انباشت زباله در خیابان‌های گلسار",
            source="gilkhabar",
            concern=True,
            score=0.9,
            sentence="ساکنان گلسار می‌گویند زباله‌ها سه روز است جمع نشده است.",
            tone=neg,
            cluster="c-waste",
        ),
        item(
            "زباله‌ها در گلسار جمع نشد", source="agency", concern=True, score=0.8, tone=neg, cluster="c-waste"
        ),
        item(
            "گلایه شهروندان از زباله در گلسار",
            source="shomal",
            concern=True,
            score=0.7,
            tone=neg,
            cluster="c-waste",
            hours_before_end=3,
        ),
        item(
            "زباله در گلسار",
            source="hamshahri",
            concern=True,
            score=0.6,
            tone=neg,
            cluster="c-waste",
            hours_before_end=2,
        ),
        # 2. Traffic at Shohada square: continuing (seen in history), 2 articles.
        item(
            "ترافیک سنگین میدان شهدا",
            source="shomal",
            domain=Domain.civil_works_traffic,
            concern=True,
            score=0.8,
            sentence="رانندگان از ترافیک هر روزه میدان شهدا گلایه دارند.",
            tone=neg,
            cluster="c-traffic",
        ),
        item(
            "گره ترافیکی میدان شهدا باز نشد",
            source="gilkhabar",
            domain=Domain.civil_works_traffic,
            concern=True,
            score=0.7,
            tone=Tone.neutral,
            cluster="c-traffic",
        ),
        # 3. A small concern in Lahijan (not Rasht), one weekly: ranks last.
        item(
            "کمبود کتابخانه در لاهیجان",
            source="weekly",
            domain=Domain.culture_social_tourism,
            concern=True,
            score=0.5,
            rasht=False,
            cluster="c-library",
            hours_before_end=20,
        ),
        # Not a concern: the municipality's own coverage (PR) and an ordinary item.
        item("آغاز طرح نوسازی ناوگان پسماند", source="rasht_city", tone=Tone.positive, cluster="c-pr"),
        item(
            "برگزاری جشنواره غذای گیلانی",
            source="gilkhabar",
            domain=Domain.culture_social_tourism,
            tone=Tone.positive,
            cluster="c-festival",
        ),
        # Management, for the secretariat.
        item(
            "انتخاب سرپرست جدید منطقه دو",
            source="shomal",
            domain=Domain.management,
            tone=Tone.neutral,
            cluster="c-mgmt",
        ),
        # Out of scope.
        item("نتیجه بازی فوتبال", source="agency", domain=Domain.other, rasht=False, cluster="c-other"),
    ]
    history = [
        item(
            "ترافیک میدان شهدا دوباره",
            source="shomal",
            domain=Domain.civil_works_traffic,
            concern=True,
            score=0.6,
            cluster="c-traffic",
            hours_before_end=24 * 4,
        ),
    ]
    return items, history


item = _item

FAILURES = [
    SourceReport(source_id="weekly", found=0, new=0, failed=0, fatal="سایت پاسخ نداد (مهلت ۲۰ ثانیه)"),
    SourceReport(source_id="gilkhabar", found=10, new=8, failed=2, errors=["HTTP 500 در ۲ صفحه"]),
    SourceReport(source_id="shomal", found=5, new=5),
]


EVIL_TITLE = '<script>alert("t")</script><img src=x onerror="alert(1)"> [بد](javascript:alert(2))'
EVIL_SENTENCE = '<a href="javascript:alert(3)" onclick="alert(4)">کلیک</a><svg onload=alert(5)>'


def evil_digest() -> Digest:
    """A digest whose scraped text and links carry script, event handlers and javascript: URLs."""
    from digests.select import build_digest

    items = [
        item(
            EVIL_TITLE,
            concern=True,
            score=0.9,
            sentence=EVIL_SENTENCE,
            cluster="evil",
            tone=Tone.negative,
            url="javascript:alert(6)",
            lead="<iframe src=javascript:alert(7)>",
        ),
        item(
            EVIL_TITLE, source="agency", concern=True, score=0.5, cluster="evil", url=" JAVASCRIPT:alert(8)"
        ),
        item(
            "پوشش شهرداری <b onmouseover=alert(9)>",
            source="rasht_city",
            url="data:text/html,<script>x</script>",
        ),
    ]
    fails = [SourceReport(source_id="shomal", fatal='<script>alert("f")</script>')]
    return build_digest(items, period=(PERIOD_START, PERIOD_END), failures=fails, sources=SOURCES)


def demo_items(reference_day: date) -> list[DigestItem]:
    """The demo sites' articles (written by us) with our gold labels, as the digest would see them."""
    from datetime import time as dtime

    from demo.content import SITES, load_articles, load_labels
    from mediawatch.timeutil import TEHRAN

    labels = load_labels()
    out = []
    for n, a in enumerate(load_articles(), 1):
        lab = labels[a.id]
        spec = SITES[a.site]
        h, m = a.hour_minute
        at = datetime.combine(reference_day - timedelta(days=a.day_offset), dtime(h, m), TEHRAN).astimezone(
            UTC
        )
        out.append(
            DigestItem(
                article_id=n,
                url=f"https://{a.site}.example/news/{a.id}",
                source_id=a.site,
                source_name=spec.name,
                source_kind=spec.kind,
                title=a.title,
                lead=a.lead,
                published_at=at,
                fetched_at=at + timedelta(hours=1),
                municipal=lab.municipal,
                domain=lab.domain,
                secondary=lab.secondary,
                rasht=lab.rasht,
                places=lab.places,
                concern=lab.concern,
                concern_score=0.9 if lab.concern else 0.1,
                key_sentence=lab.key_sentence or "",
                tone=lab.tone,
                cluster_key=a.story or a.id,
                is_duplicate=a.copy_of is not None,
            )
        )
    return out
