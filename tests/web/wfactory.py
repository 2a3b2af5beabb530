"""A small, fully known newsroom for the workspace tests: written by us (no scraped text), dated relative to
now so that Today, the chairs' pages and the review queue all see it. Also login helpers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from digests.periods import DIGEST_HOUR
from mediawatch.records import Analysis, Article, Cluster, Domain, Tone
from mediawatch.timeutil import tehran_at, to_tehran, utcnow
from storage import Store
from tests.storage.factory import SOURCES
from web.auth import hash_password

PASSWORD = "correct horse battery"
EVIL_TITLE = "<script>alert('t')</script>خبر بد"
EVIL_BODY = 'متن با <img src=x onerror="alert(1)"> و <script>alert(2)</script> درباره زباله'
# name → (role, group)
USERS = {
    "sec": ("secretariat", None),
    "chair_us": ("chair", "urban_services"),
    "chair_cw": ("chair", "civil_works_traffic"),
    "view": ("viewer", None),
    "root": ("admin", None),
}


def _analysis(domain: Domain, *, concern: bool, tone: Tone | None, places: tuple[str, ...] = ("رشت",),
              score: float = 0.8, uncertainty: float | None = None) -> Analysis:
    return Analysis(norm_title="عنوان", norm_body="متن", municipal=domain != Domain.other, municipal_score=0.9,
                    domain=domain, domain_scores={str(domain): 0.7, "other": 0.3}, secondary=None, rasht=True,
                    places=places, concern=concern, concern_score=score, key_sentence="ساکنان از زباله گلایه دارند",
                    tone=tone, model_version="test-v1")


def news_base(now: datetime) -> datetime:
    """When the newsroom's half hour of news starts: a few hours ago, and never across a 07:00 Tehran
    digest boundary, so that one morning's digest holds all of it whatever the time of day."""
    for hours in (3, 6, 9):
        base = now - timedelta(hours=hours)
        day = to_tehran(base).date()
        if not any(base <= tehran_at(d, DIGEST_HOUR) <= base + timedelta(minutes=30)
                   for d in (day, day + timedelta(days=1))):
            return base
    raise AssertionError("unreachable: digest boundaries are a day apart")


def live_day(base: datetime) -> date:
    """The morning whose digest covers `base` (without earlier digests recorded)."""
    from web.pages.today import next_working_day

    day = to_tehran(base).date()
    return next_working_day(day) if base >= tehran_at(day, DIGEST_HOUR) else day


def populate(store: Store) -> dict[str, int]:
    """Store the newsroom; the article ids by name (and "base": the news' start, as a timestamp)."""
    base = news_base(utcnow())
    store.sync_sources(SOURCES)

    def art(n: int, source: str, title: str, body: str, minutes: float, url: str | None = None) -> Article:
        at = base + timedelta(minutes=30 - minutes)
        return Article(url=url or f"https://{source}.example/news/{n}", source_id=source, title=title, body=body,
                       fetched_at=at, published_at=at, published_raw="", lead="")

    arts = {
        "waste1": art(1, "gilan_now", "انباشت زباله در گلسار", "زباله در خیابان های گلسار سه روز مانده است", 30),
        "waste2": art(2, "rasht_news", "زباله گلسار جمع نشد", "گلایه ساکنان گلسار از زباله", 10),
        "traffic": art(3, "rasht_news", "ترافیک میدان شهدا", "گره ترافیکی میدان شهدا باز نشد", 20),
        "evil": art(4, "gilan_now", EVIL_TITLE, EVIL_BODY, 25, url="javascript:alert(3)"),
        "mgmt": art(5, "gilan_now", "جلسه شورای شهر رشت", "شورای شهر درباره بودجه گفت و گو کرد", 5),
    }
    ids = dict(zip(arts, store.add_articles(arts.values()), strict=True))
    store.save_analyses([
        (ids["waste1"], _analysis(Domain.urban_services, concern=True, tone=Tone.negative, places=("گلسار",),
                                  uncertainty=0.2)),
        (ids["waste2"], _analysis(Domain.urban_services, concern=True, tone=Tone.negative, places=("گلسار",))),
        (ids["traffic"], _analysis(Domain.civil_works_traffic, concern=True, tone=Tone.neutral,
                                   places=("میدان شهدا",), score=0.55)),
        (ids["evil"], _analysis(Domain.urban_services, concern=True, tone=Tone.negative)),
        (ids["mgmt"], _analysis(Domain.management, concern=False, tone=Tone.neutral, score=0.1)),
    ])
    store.save_clusters([
        Cluster(key="c-waste", representative_id=ids["waste1"], member_ids=(ids["waste1"], ids["waste2"])),
        Cluster(key="c-traffic", representative_id=ids["traffic"], member_ids=(ids["traffic"],)),
    ])
    return {**ids, "base": int(base.timestamp())}


def add_users(store: Store) -> None:
    hashed = hash_password(PASSWORD)
    for name, (role, group) in USERS.items():
        store.workspace.add_user(name, role=role, group=group, password_hash=hashed, who="test")


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def login(client, name: str, password: str = PASSWORD):
    """Log `client` in through the real form; the response to the POST."""
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page.text)},
                       follow_redirects=False)
