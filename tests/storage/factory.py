"""Small builders for storage tests (texts written by us, not taken from any corpus)."""

from __future__ import annotations

from datetime import UTC, datetime

from mediawatch.records import Analysis, Article, Domain, Scope, Source, SourceKind, Tone

T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)

SOURCES = (
    Source(id="gilan_now", name="گیلان امروز", homepage="https://gilan-now.example", kind=SourceKind.local_daily,
           scope=Scope.gilan, feeds=("https://gilan-now.example/rss",)),
    Source(id="rasht_news", name="خبر رشت", homepage="https://rasht-news.example", kind=SourceKind.news_site,
           scope=Scope.rasht),
)


def article(n: int, *, source: str = "gilan_now", title: str | None = None, body: str | None = None,
            published_at: datetime | None = T0, fetched_at: datetime = T0, lead: str = "") -> Article:
    """Article number n: a unique URL and a plain body."""
    return Article(
        url=f"https://{source}.example/news/{n}",
        source_id=source,
        title=title if title is not None else f"خبر شماره {n} از شهرداری",
        body=body if body is not None else f"متن خبر شماره {n}.\n\nپاراگراف دوم درباره خدمات شهری.",
        lead=lead,
        fetched_at=fetched_at,
        published_at=published_at,
        published_raw="۴ آذر ۱۴۰۵",
        authors=("خبرنگار",),
        tags=("رشت",),
    )


def analysis(*, domain: Domain = Domain.urban_services, version: str = "v1", concern: bool = False,
             municipal: bool = True, tone: Tone | None = Tone.neutral) -> Analysis:
    return Analysis(
        norm_title="عنوان نرمال", norm_body="متن نرمال", municipal=municipal, municipal_score=0.9,
        domain=domain, domain_scores={str(domain): 0.8, "other": 0.2}, secondary=None, rasht=True,
        places=("رشت",), concern=concern, concern_score=0.7 if concern else 0.1, key_sentence="جمله کلیدی",
        tone=tone, model_version=version,
    )
