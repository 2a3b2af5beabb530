"""The pulse flow under the Prefect test harness, against the demo news sites on loopback: it collects the
local outlets, raises the demo's burst alert, e-mails it (aiosmtpd) and posts it to a webhook; the next,
idle hour costs each outlet a feed answered 304 (robots.txt is kept between pulses), and sends nothing again."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from mediawatch.settings import get_settings
from mediawatch.timeutil import tehran_midnight
from tests.flows.conftest import DEMO_DAY

pytestmark = pytest.mark.slow

LOCAL = {"sepidrud", "navashomal", "gilava", "sobherasht", "goharrud"}  # the demo's rasht and gilan outlets


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def sparse(monkeypatch):
    """The sparse fallback (no sentence encoder): the same flow, a third of the analysis time."""
    from nlp import encoder

    monkeypatch.setenv("MEDIAWATCH_ENCODER", "none")
    get_settings.cache_clear()
    encoder.reset_encoder()
    yield
    monkeypatch.delenv("MEDIAWATCH_ENCODER")
    get_settings.cache_clear()
    encoder.reset_encoder()


@pytest.fixture
def delivery(monkeypatch, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    hook.bodies = []  # type: ignore[attr-defined]
    threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True).start()
    env = {"MEDIAWATCH_SMTP_HOST": "127.0.0.1", "MEDIAWATCH_SMTP_PORT": str(port), "MEDIAWATCH_SMTP_STARTTLS": "false",
           "MEDIAWATCH_RECIPIENTS": json.dumps({"secretariat": "dabir@rasht.example",
                                                "urban_services": "khadamat@rasht.example"}),
           "MEDIAWATCH_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{hook.server_address[1]}/alerts",
           "MEDIAWATCH_ALERT_QUIET_HOURS": "", "MEDIAWATCH_DATA_DIR": str(tmp_path / "data")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        yield inbox, hook
    finally:
        get_settings.cache_clear()
        smtp.stop()
        hook.shutdown()
        hook.server_close()


def test_pulse_raises_and_delivers_the_burst_then_an_idle_hour_costs_one_feed_request_per_outlet(
        prefect_harness, demo_sites, sparse, delivery, tmp_path):
    from flows.pulse import PULSE_REPORT_KEY, pulse
    from storage import open_store
    from tests.flows.test_flows import _artifact

    inbox, hook = delivery
    sources_file = tmp_path / "sources.toml"
    demo_sites.write_sources_toml(sources_file)
    db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    # 12:30 Tehran the day before the demo's morning: the burst began at 08:40 and reached a third outlet at 11:10.
    noon = tehran_midnight(DEMO_DAY - timedelta(days=1)) + timedelta(hours=12, minutes=30)

    first = pulse(db_url=db_url, sources_file=str(sources_file), allow_private=True, now=noon)
    assert {r.source_id for r in first.reports} == LOCAL  # the national outlet waits for the night
    assert first.new > 50 and first.analysed == first.new
    store = open_store(db_url)
    try:
        burst = [a for a in store.alerts.current() if "سعد" in a.headline]
        assert len(burst) == 1, [(a.key, a.headline) for a in store.alerts.current()]
        alert = burst[0]
        assert alert.rule == "spread" and alert.sent_at is not None and alert.webhook_at is not None
        assert set(alert.outlets[:3]) == {"sobherasht", "sepidrud", "navashomal"}
    finally:
        store.close()
    mails = [(rcpt, m) for rcpt, m in inbox.messages if "سعد" in m["Subject"]]
    assert len(mails) == 1
    rcpt, msg = mails[0]
    assert rcpt == ["dabir@rasht.example", "khadamat@rasht.example"]
    assert 'dir="rtl"' in msg.get_body(("html",)).get_content()
    posted = [b for b in hook.bodies if b["key"] == alert.key]
    assert len(posted) == 1 and posted[0]["rule"] == "spread" and len(posted[0]["articles"]) >= 3
    assert "| gilava |" in _artifact(PULSE_REPORT_KEY)

    # The next hour: nothing new on the sites. An outlet costs its feed, answered 304 (its robots.txt was
    # kept from the hour before: MEDIAWATCH_PULSE_ROBOTS_CACHE_HOURS) —
    # unless its feed still lists a page that failed (a 500, a page cut short, a 404): then the feed is read
    # again and only those pages are retried (scrapers/collect.py keeps the feed's validators until every item is
    # handled). No stored article is ever fetched again.
    demo_sites.hits.clear()
    mails_before, posts_before = len(inbox.messages), len(hook.bodies)
    idle = pulse(db_url=db_url, sources_file=str(sources_file), allow_private=True, now=noon + timedelta(hours=1))
    assert idle.new == 0 and idle.analysed == 0
    from urllib.parse import unquote, urlsplit

    broken = {unquote(urlsplit(u).path) for u in [*demo_sites.broken_urls(), demo_sites.dead_link()]}
    feeds = {unquote(urlsplit(f).path) for src in demo_sites.sources() for f in src.feeds}
    per_site = Counter(site for site, _path, _status in demo_sites.hits)
    assert set(per_site) == LOCAL
    kinds = Counter("robots" if path == "/robots.txt" else "feed" if unquote(path.split("?")[0]) in feeds
                    else "broken" if unquote(path.split("?")[0]) in broken else path
                    for _site, path, _status in demo_sites.hits)
    assert set(kinds) <= {"robots", "feed", "broken"}, kinds
    assert kinds["feed"] == len(LOCAL) and kinds["robots"] == 0  # one feed request per outlet, nothing more
    clean = {site for site in LOCAL if not any(s == site and unquote(p.split("?")[0]) in broken
                                               for s, p, _ in demo_sites.hits)}
    assert len(clean) >= 2  # the demo outlets whose feeds hold no broken page
    for site in clean:
        assert [status for s, _p, status in demo_sites.hits if s == site] == [304]  # the feed, unchanged
    # One alert per story: the later hour adds to it and sends nothing again.
    assert len(inbox.messages) == mails_before and len(hook.bodies) == posts_before


def test_a_second_pulse_while_one_runs_is_refused_before_it_delivers_anything(prefect_harness, tmp_path):
    """`mediawatch pulse` by hand during the hourly one: refused, naming it; both would send each due alert."""
    from flows.pulse import PULSE_KIND, pulse
    from storage import open_store
    from storage.errors import RunInProgress

    db_url = f"sqlite:///{tmp_path / 'mw.sqlite'}"
    store = open_store(db_url)
    try:
        with store.run_lock(PULSE_KIND):
            first = store.start_run(PULSE_KIND, {"sources": []})
            with pytest.raises(RunInProgress, match=rf"another pulse run is in progress .*run #{first}"):
                pulse(db_url=db_url, collect=False)
        assert store.last_run(PULSE_KIND).id == first
        assert pulse(db_url=db_url, collect=False).run_id != first  # the lock went with the first pulse
    finally:
        store.close()
