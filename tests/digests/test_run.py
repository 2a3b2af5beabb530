"""End to end on a real SQLite store: digest and briefs read, archived, recorded, e-mailed, via the CLI."""

from __future__ import annotations

import dataclasses
import email
import json
import socket
from datetime import date, timedelta
from email.message import Message
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from digests.errors import DeliveryError
from digests.periods import digest_period
from digests.run import make_briefs, make_morning_digest
from flows.cli import app
from mediawatch.settings import Settings
from mediawatch.timeutil import jalali_iso, tehran_today, to_tehran, utcnow
from storage import open_store
from tests.digests.dg_factory import FAILURES, item, night
from tests.digests.dg_storefix import populate, record_run
from tests.smtp import smtp_server


def _day() -> date:
    """A morning whose digest period contains now, so the run recorded now counts as last night's."""
    now = utcnow()
    today = tehran_today(now)
    return today + timedelta(days=1) if to_tehran(now).hour >= 7 else today


@pytest.fixture
def store(store_url: str):
    """A populated Store: on SQLite, then on PostgreSQL."""
    s = open_store(store_url)
    day = _day()
    items, history = night(end=digest_period(day)[1])
    now = utcnow()  # nothing is collected in the future (or it would count as a late find next morning)
    populate(s, [dataclasses.replace(i, fetched_at=min(i.fetched_at, now)) for i in (*history, *items)])
    record_run(s, FAILURES)
    yield s
    s.close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = _Inbox()
    with smtp_server(inbox) as port:
        yield inbox, port


def _settings(tmp_path: Path, port: int = 25) -> Settings:
    return Settings(
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        mail_from="mediawatch@rasht.example",
        recipients={
            "secretariat": "dabir@rasht.example",
            "civil_works_traffic": "omrani@rasht.example",
            "urban_services": "khadamat@rasht.example, moavin@rasht.example",
        },
    )


def test_morning_digest_from_the_store(store, tmp_path: Path) -> None:
    day = _day()
    res = make_morning_digest(store, day, out_dir=tmp_path / "out", settings=_settings(tmp_path))
    assert [p.name for p in res.paths] == ["digest.html", "digest.md", "digest.json"]
    assert all(p.parent.name == jalali_iso(day) for p in res.paths)
    heads = [s.headline for s in res.doc.top_concerns]
    assert heads == [
        "انباشت زباله در خیابان‌های گلسار",
        "ترافیک سنگین میدان شهدا",
        "کمبود کتابخانه در لاهیجان",
    ]
    # The waste story first appears tonight; the traffic story was reported four days earlier.
    assert [s.new for s in res.doc.top_concerns] == [True, False, True]
    assert res.doc.top_concerns[1].new is False  # the traffic story was in the store four days earlier
    assert [f.name for f in res.doc.failures] == ["هفته‌نامه باران", "گیل‌خبر"]
    assert res.doc.collection_ran is True
    data = json.loads(res.paths[2].read_text(encoding="utf-8"))
    assert data["top_concerns"][0]["articles"][0]["url"].startswith("https://")
    assert data["top_concerns"][0]["links"] == [a.url for a in res.doc.top_concerns[0].articles]
    recorded = store.last_digest("morning")
    assert recorded.id == res.digest_id and recorded.period_end == res.period[1]
    assert recorded.content["figures"]["articles"] == 11
    # The next morning starts where this one ended.
    nxt = make_morning_digest(
        store, day + timedelta(days=1), out_dir=tmp_path / "out", settings=_settings(tmp_path)
    )
    assert nxt.period[0] == res.period[1]
    assert nxt.doc.figures.articles == 0
    assert nxt.doc.collection_ran is False  # no nightly run started in the next period: the digest says so
    assert "هیچ اجرای جمع‌آوری" in nxt.paths[1].read_text(encoding="utf-8")


def test_new_articles_are_seen_by_the_next_build(store, tmp_path: Path) -> None:
    day = _day()
    first = make_morning_digest(store, day, out_dir=tmp_path / "out", settings=_settings(tmp_path))
    late = item("آبگرفتگی معابر پس از باران", concern=True, score=0.9, cluster="c-flood", end=first.period[1])
    populate(store, [late])
    [brief] = make_briefs(
        store, day, out_dir=tmp_path / "out", groups=["urban_services"], settings=_settings(tmp_path)
    )
    assert "آبگرفتگی معابر پس از باران" in {a.title for a in brief.doc.articles}


def test_each_chair_gets_only_their_brief(store, smtp, tmp_path: Path) -> None:
    inbox, port = smtp
    settings = _settings(tmp_path, port)
    results = make_briefs(store, _day(), out_dir=tmp_path / "out", send=True, settings=settings)
    assert len(results) == 5
    got = {tuple(sorted(rcpts)): msg for rcpts, msg in inbox.messages}
    assert set(got) == {("omrani@rasht.example",), ("khadamat@rasht.example", "moavin@rasht.example")}
    traffic = got[("omrani@rasht.example",)]
    assert "عمرانی و ترافیکی" in str(email.header.make_header(email.header.decode_header(traffic["Subject"])))
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode("utf-8")
        for p in traffic.walk()
        if not p.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    assert (
        "ترافیک سنگین میدان شهدا" in parts["text/plain"] and "ترافیک سنگین میدان شهدا" in parts["text/html"]
    )
    assert "زباله" not in parts["text/plain"]  # another group's story stays out of this chair's mail
    services = got[("khadamat@rasht.example", "moavin@rasht.example")]
    body = next(p for p in services.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert "انباشت زباله" in body.decode("utf-8") and "میدان شهدا" not in body.decode("utf-8")


def test_morning_digest_is_emailed_to_the_secretariat(store, smtp, tmp_path: Path) -> None:
    inbox, port = smtp
    res = make_morning_digest(
        store, _day(), out_dir=tmp_path / "out", send=True, settings=_settings(tmp_path, port)
    )
    assert res.sent_to == ["dabir@rasht.example"]
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["dabir@rasht.example"]
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]


def test_cli_digest_and_brief(store, tmp_path: Path) -> None:
    db = store.url
    day = _day()
    runner = CliRunner()
    out = tmp_path / "cli"
    r = runner.invoke(
        app, ["digest", "--date", jalali_iso(day), "--db", db, "--out", str(out), "--format", "html"]
    )
    assert r.exit_code == 0, r.output
    assert (out / jalali_iso(day) / "digest.html").exists()
    assert str(out / jalali_iso(day) / "digest.html") in r.output.replace("\n", "")
    r = runner.invoke(
        app,
        [
            "digest",
            "--date",
            day.isoformat(),
            "--group",
            "urban_services",
            "--db",
            db,
            "--out",
            str(out),
            "--format",
            "md",
        ],
    )
    assert r.exit_code == 0, r.output
    md = (out / jalali_iso(day) / "brief-urban_services.md").read_text(encoding="utf-8")
    assert "انباشت زباله در خیابان‌های گلسار" in md and "میدان شهدا" not in md
    r = runner.invoke(app, ["digest", "--weekly", "--db", db, "--out", str(out), "--date", day.isoformat()])
    assert r.exit_code == 0, r.output
    assert len(list(out.glob("*/brief-*-weekly.html"))) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "1405-13-40"], "not a valid date"),
        (["--group", "sports"], "Invalid value for '--group'"),
        (["--format", "pdf"], "Unknown format"),
    ],
)
def test_cli_errors_say_what_to_do(args: list[str], message: str, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["digest", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", *args])
    assert r.exit_code == 2
    assert message in r.output
    assert "Traceback" not in r.output


def test_smtp_login_uses_the_configured_password(tmp_path: Path) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from digests.deliver import send_email
    from digests.select import build_digest

    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    inbox = _Inbox()
    with smtp_server(inbox, authenticator=authenticator, auth_require_tls=False) as port:
        doc = build_digest([], period=digest_period(_day()))
        settings = _settings(tmp_path, port).model_copy(
            update={"smtp_user": "mw", "smtp_password": SecretStr("s3cret")}
        )
        send_email(doc, ["dabir@rasht.example"], settings)
    assert seen == [(b"mw", b"s3cret")]
    assert len(inbox.messages) == 1


def test_send_email_says_what_is_missing(tmp_path: Path) -> None:
    from digests.deliver import send_email
    from digests.select import build_digest

    doc = build_digest([], period=digest_period(_day()))
    with pytest.raises(DeliveryError, match="MEDIAWATCH_RECIPIENTS"):
        send_email(doc, [], _settings(tmp_path))
    with pytest.raises(DeliveryError, match="MEDIAWATCH_SMTP_HOST"):
        send_email(doc, ["a@b.example"], Settings(data_dir=tmp_path))
    with pytest.raises(DeliveryError, match="not an e-mail address"):
        send_email(doc, ["not an address"], _settings(tmp_path))
    # Nothing listens on this port: a clear error, not a traceback from smtplib.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryError, match="could not send"):
        send_email(doc, ["a@b.example"], _settings(tmp_path, port))


def test_which_nightly_run_fed_the_digest(sqlite_url: str) -> None:
    from digests.run import _night

    s = open_store(sqlite_url)
    try:
        now = utcnow()
        day = timedelta(days=1)
        assert _night(s.last_run("nightly"), (now - day, now + day)) == (False, now + day, False)  # no run
        record_run(s, FAILURES)
        run = s.last_run("nightly")
        assert _night(run, (now - day, now + day)) == (True, now + day, False)  # ran within the period
        ran, until, _ = _night(run, (now - 2 * day, now - timedelta(hours=2)))  # a catch-up two hours late
        assert ran is True and until > now - timedelta(seconds=5)
        assert _night(run, (now - 3 * day, now - 2 * day))[0] is None  # an old digest regenerated later
        assert _night(run, (now + timedelta(hours=1), now + day)) == (False, now + day, False)  # nothing since
    finally:
        s.close()


def test_a_killed_night_is_not_all_sources_available(sqlite_url: str, tmp_path: Path) -> None:
    """A nightly run left at "running" (killed) makes the digest say collection did not finish (review #7)."""
    s = open_store(sqlite_url)
    try:
        s.start_run("nightly")  # killed: never finished, no run reports
        res = make_morning_digest(s, _day(), out_dir=tmp_path, settings=_settings(tmp_path))
        assert res.doc.collection_ran is True and res.doc.collection_unfinished is True
        for p in res.paths:
            text = p.read_text(encoding="utf-8")
            assert "همهٔ منابع در دسترس بودند" not in text
            assert "به پایان نرسید" in (text if p.suffix != ".json" else json.loads(text)["sources_note"])
        assert json.loads(res.paths[2].read_text(encoding="utf-8"))["collection_unfinished"] is True
    finally:
        s.close()


def test_a_collect_run_by_hand_is_the_nights_collection(sqlite_url: str, tmp_path: Path) -> None:
    """`mediawatch collect` + `process` instead of `nightly`: the digest reports that collection, it does not
    say that no collection ran (issue 13, item 7)."""
    from mediawatch.records import SourceReport

    s = open_store(sqlite_url)
    try:
        run = s.start_run("collect", {"sources": ["gilkhabar"]})
        s.finish_run(run, status="partial", reports=[SourceReport("gilkhabar", found=3, new=2, failed=1,
                                                                  errors=["http://x/1: HTTP 500"])])
        res = make_morning_digest(s, _day(), out_dir=tmp_path, settings=_settings(tmp_path))
        assert res.doc.collection_ran is True and res.doc.collection_unfinished is False
        assert [f.source_id for f in res.doc.failures] == ["gilkhabar"]
    finally:
        s.close()


def test_an_interrupted_night_is_said_unfinished(sqlite_url: str, tmp_path: Path) -> None:
    s = open_store(sqlite_url)
    try:
        run = s.start_run("nightly")
        s.finish_run(run, status="interrupted", reports=[])
        res = make_morning_digest(s, _day(), out_dir=tmp_path, settings=_settings(tmp_path))
        assert res.doc.collection_ran is True and res.doc.collection_unfinished is True
    finally:
        s.close()


def test_sources_removed_from_the_registry_do_not_count(sqlite_url: str, tmp_path: Path) -> None:
    """Every source of the night's registry down ⇒ "all sources down", even with old sources stored (#27)."""
    from mediawatch.records import SourceReport
    from tests.digests.dg_factory import SOURCES

    s = open_store(sqlite_url)
    try:
        s.sync_sources(SOURCES.values())  # six sources stored; the registry now declares two of them
        run = s.start_run("nightly", {"sources": ["gilkhabar", "shomal"]})
        s.finish_run(run, status="failed", reports=[SourceReport("gilkhabar", fatal="connection refused"),
                                                    SourceReport("shomal", fatal="HTTP 503")])
        res = make_morning_digest(s, _day(), out_dir=tmp_path, settings=_settings(tmp_path))
        assert res.doc.sources_total == 2 and res.doc.all_sources_down is True
    finally:
        s.close()


def test_cli_unreachable_database_exits_3() -> None:
    r = CliRunner().invoke(app, ["digest", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/none"])
    assert r.exit_code == 3
    assert "cannot reach the database" in r.output and "Traceback" not in r.output


def test_weekly_briefs_compare_with_the_week_before(sqlite_url: str, tmp_path: Path) -> None:
    from digests.periods import weekly_period

    saturday = date(2026, 11, 28)
    start, end = weekly_period(saturday)  # Saturday 21 Nov 00:00 → Saturday 28 Nov 00:00, Tehran
    this_week = [
        item(
            f"ترافیک این هفته {n}",
            domain="civil_works_traffic",
            cluster=f"w{n}",
            end=end,
            hours_before_end=10 + n * 20,
        )
        for n in range(4)
    ]
    last_week = [
        item("ترافیک هفته پیش", domain="civil_works_traffic", cluster="w0", end=start, hours_before_end=30),
        item(
            "نگرانی هفته پیش",
            domain="civil_works_traffic",
            cluster="old",
            end=start,
            hours_before_end=50,
            concern=True,
        ),
    ]
    s = open_store(sqlite_url)
    try:
        populate(s, [*last_week, *this_week])
        [brief] = make_briefs(
            s,
            saturday,
            out_dir=tmp_path,
            weekly=True,
            groups=["civil_works_traffic"],
            settings=_settings(tmp_path),
        )
    finally:
        s.close()
    doc = brief.doc
    assert brief.kind == "weekly_brief" and (doc.period_start, doc.period_end) == (start, end)
    assert doc.trend.articles == 4 and doc.trend.previous_articles == 2 and doc.trend.previous_concerns == 1
    assert [s.headline for s in doc.recurring] == ["ترافیک این هفته 0"]  # its story began the week before
    assert brief.paths[0].name == "brief-civil_works_traffic-weekly.html"
    assert "هفتهٔ پیش" in brief.paths[0].read_text(encoding="utf-8")


def test_articles_left_unanalysed_are_announced(store_url: str, tmp_path: Path) -> None:
    """Articles collected in the period but never analysed (a failed night) are missing from the digest:
    it says how many and what to run, instead of looking complete."""
    from mediawatch.records import Article

    s = open_store(store_url)
    try:
        day = _day()
        _start, end = digest_period(day)
        items, _history = night(end=end)
        now = utcnow()
        populate(s, [dataclasses.replace(i, fetched_at=min(i.fetched_at, now)) for i in items])
        record_run(s, FAILURES)
        res = make_morning_digest(s, day, out_dir=tmp_path, settings=_settings(tmp_path))
        assert res.doc.unanalysed == 0
        assert "تحلیل نشده" not in res.paths[0].read_text(encoding="utf-8")
        seen = min(now, end - timedelta(minutes=5))
        s.add_articles([Article(url=f"https://example.org/raw/{k}", source_id=items[0].source_id,
                                title=f"خبر تحلیل‌نشده {k}", body="متن خبر", fetched_at=seen, published_at=seen)
                        for k in range(3)])
        res = make_morning_digest(s, day, out_dir=tmp_path, settings=_settings(tmp_path))
        assert res.doc.unanalysed == 3
        for p in res.paths:
            text = p.read_text(encoding="utf-8")
            assert "۳ خبرِ جمع‌آوری‌شده" in text and "mediawatch process" in text, p.name
        assert json.loads(res.paths[2].read_text(encoding="utf-8"))["unanalysed"] == 3
    finally:
        s.close()


def test_briefs_list_referrals_and_link_to_the_workspace(store, tmp_path: Path) -> None:
    from sqlalchemy import update

    from digests.periods import weekly_period
    from storage.schema import referrals

    ws = store.workspace
    ws.refer(cluster_key="c-waste", article_id=None, headline="انباشت زباله", group="urban_services",
                    who="sec", manager="معاون خدمات", due_date=date(2020, 1, 1))
    done = ws.refer(cluster_key="c-other", article_id=None, headline="پاسخ داده شد", group="urban_services",
                    who="sec")
    ws.update_referral(done, who="chair", state="answered", answer_url="https://rasht.example/answer")
    ws.refer(cluster_key="c-traffic", article_id=None, headline="ترافیک", group="civil_works_traffic", who="sec")
    settings = _settings(tmp_path).model_copy(update={"public_url": "https://ws.rasht.example/"})
    [brief] = make_briefs(store, _day(), out_dir=tmp_path, groups=["urban_services"], settings=settings)
    doc = brief.doc
    assert [(r.headline, r.overdue, r.manager) for r in doc.referrals_open] == [("انباشت زباله", True, "معاون خدمات")]
    assert doc.referrals_open[0].link == "https://ws.rasht.example/story/c-waste"
    assert doc.workspace_url == "https://ws.rasht.example/group/urban_services"
    assert doc.referrals_answered == []  # the daily brief lists what is open
    html, md = (p.read_text(encoding="utf-8") for p in brief.paths[:2])
    assert "ارجاع‌های باز به این کارگروه" in html and 'href="https://ws.rasht.example/story/c-waste"' in html
    assert "دیرکرد" in html and "ترافیک" not in html.split('id="referrals"')[1].split("</section>")[0]
    assert "[انباشت زباله](https://ws.rasht.example/story/c-waste)" in md and "دیرکرد" in md
    from digests.render import render_text

    assert "در میز کار: https://ws.rasht.example/story/c-waste" in render_text(doc)
    # The weekly brief shows what was answered during its week.
    start, _end = weekly_period(_day())
    with store.engine.begin() as c:
        c.execute(update(referrals).where(referrals.c.id == done).values(answered_at=start + timedelta(days=2)))
    [weekly] = make_briefs(store, _day(), out_dir=tmp_path, weekly=True, groups=["urban_services"],
                           settings=_settings(tmp_path))
    assert [r.headline for r in weekly.doc.referrals_answered] == ["پاسخ داده شد"]
    assert weekly.doc.referrals_answered[0].answer_url == "https://rasht.example/answer"
    assert weekly.doc.referrals_answered[0].link == "" and weekly.doc.workspace_url == ""  # no public URL
    assert "ارجاع‌های پاسخ‌داده‌شده در این هفته" in weekly.paths[0].read_text(encoding="utf-8")


def test_the_digest_links_to_the_workspace_when_its_url_is_set(store, tmp_path: Path) -> None:
    settings = _settings(tmp_path).model_copy(update={"public_url": "https://ws.rasht.example"})
    res = make_morning_digest(store, _day(), out_dir=tmp_path / "out", settings=settings)
    assert res.doc.workspace_url == "https://ws.rasht.example/"
    assert 'href="https://ws.rasht.example/"' in res.paths[0].read_text(encoding="utf-8")
    plain = make_morning_digest(store, _day(), out_dir=tmp_path / "out2", settings=_settings(tmp_path))
    assert "میز کار" not in plain.paths[0].read_text(encoding="utf-8")
