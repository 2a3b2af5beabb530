"""Alert delivery: the e-mail against a real SMTP server (aiosmtpd), the webhook against a loopback HTTP
server (with a 500 first), hostile scraped text escaped, and the alert first in the morning digest."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from digests.alerts import (
    alert_payload,
    alert_ref,
    post_webhook,
    render_alert_html,
    send_alert_email,
    webhook_url,
)
from digests.errors import DeliveryError
from digests.render import render_html, render_markdown, render_text
from digests.select import build_digest
from mediawatch.records import Alert, DigestItem, Domain, SourceKind
from mediawatch.settings import Settings

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> آبگرفتگی & «گلسار»'


def _item(aid: int, source: str, *, title: str = "آبگرفتگی معابر گلسار", url: str | None = None,
          hours: float = 0) -> DigestItem:
    return DigestItem(article_id=aid, url=url if url is not None else f"https://{source}.example/news/{aid}",
                      source_id=source, source_name=f"رسانهٔ {source}", source_kind=SourceKind.news_site, title=title,
                      lead="", published_at=T0 + timedelta(hours=hours), fetched_at=T0 + timedelta(hours=hours),
                      municipal=True, domain=Domain.urban_services, secondary=None, rasht=True, places=("گلسار",),
                      concern=True, concern_score=0.9, key_sentence="", tone=None, cluster_key="s1")


def _alert(**kw) -> Alert:
    values = dict(key="s1", rule="critical", critical=True, domain="urban_services", headline="آبگرفتگی معابر گلسار",
                  article_ids=(1, 2), outlets=("a", "b"),
                  figures={"outlets": 2, "window_hours": 6.0, "terms": "آبگرفتگی", "articles": 2},
                  opened_at=T0 + timedelta(hours=1), updated_at=T0 + timedelta(hours=1), last_article_at=T0,
                  started_at=T0)
    return Alert(**{**values, **kw})


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _settings(tmp_path: Path, port: int = 25, **kw) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                    mail_from="mediawatch@rasht.example",
                    recipients={"secretariat": "dabir@rasht.example", "urban_services": "khadamat@rasht.example",
                                "civil_works_traffic": "omrani@rasht.example"}, **kw)


def test_alert_email_goes_to_the_secretariat_and_the_groups_chair_in_persian_rtl(smtp, tmp_path: Path) -> None:
    inbox, port = smtp
    ref = alert_ref(_alert(), [_item(1, "a"), _item(2, "b", hours=0.5)], public_url="https://mw.rasht.example/")
    sent = send_alert_email(ref, _settings(tmp_path, port))
    assert sent == ["dabir@rasht.example", "khadamat@rasht.example"]  # not the civil-works chair
    (rcpt, msg), = inbox.messages
    assert rcpt == sent
    assert msg["Subject"].startswith("هشدار فوری رصد رسانه‌ها: آبگرفتگی معابر گلسار")
    assert msg["Content-Language"] == "fa" and msg["Importance"] == "high"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    for body in (text, html):
        assert "رویداد حساس در رشت" in body and "https://a.example/news/1" in body and "https://b.example/news/2" in body
    assert "https://mw.rasht.example/story/s1" in html  # the story in the workspace


def test_hostile_text_in_an_alert_is_escaped_and_bad_links_dropped(smtp, tmp_path: Path) -> None:
    inbox, port = smtp
    items = [_item(1, "a", title=HOSTILE, url="javascript:alert(1)"), _item(2, "b", title=HOSTILE)]
    ref = alert_ref(_alert(headline=HOSTILE), items)
    html = render_alert_html(ref)
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    send_alert_email(ref, _settings(tmp_path, port))
    (_, msg), = inbox.messages
    assert "<script" not in msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "javascript:" not in text and "\n<img" not in text
    payload = alert_payload(ref)
    assert [a["url"] for a in payload["articles"]] == ["", "https://b.example/news/2"]


def test_alert_email_says_what_is_missing(tmp_path: Path) -> None:
    ref = alert_ref(_alert(), [_item(1, "a")])
    with pytest.raises(DeliveryError, match="MEDIAWATCH_RECIPIENTS"):
        send_alert_email(ref, Settings(data_dir=tmp_path, smtp_host="127.0.0.1"))
    with pytest.raises(DeliveryError, match="MEDIAWATCH_SMTP_HOST"):
        send_alert_email(ref, _settings(tmp_path).model_copy(update={"smtp_host": ""}))


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.bodies.append((self.headers.get("Content-Type"), body))  # type: ignore[attr-defined]
        status = server.statuses.pop(0) if server.statuses else 200  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hook():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    srv.bodies, srv.statuses = [], []  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    t.start()
    try:
        yield srv, f"http://127.0.0.1:{srv.server_address[1]}/hook?token=t0ken"
    finally:
        srv.shutdown()
        srv.server_close()


def test_webhook_posts_json_and_retries_after_a_500(hook) -> None:
    srv, url = hook
    srv.statuses[:] = [500]
    waits: list[float] = []
    ref = alert_ref(_alert(), [_item(1, "a"), _item(2, "b")])
    assert post_webhook(url, alert_payload(ref), sleep=waits.append) == 2
    assert waits == [1.0] and len(srv.bodies) == 2
    ctype, body = srv.bodies[-1]
    assert ctype.startswith("application/json")
    data = json.loads(body.decode("utf-8"))
    assert data["schema"] == "mediawatch.alert/1" and data["event"] == "opened"
    assert data["critical"] is True and data["rule"] == "critical" and data["key"] == "s1"
    assert [a["url"] for a in data["articles"]] == ["https://a.example/news/1", "https://b.example/news/2"]
    assert "رویداد حساس" in data["text"]


def test_webhook_gives_up_with_a_clear_message(hook) -> None:
    srv, url = hook
    srv.statuses[:] = [503, 503, 503]
    with pytest.raises(DeliveryError, match=r"after 3 tries .*HTTP 503.*next pulse"):
        post_webhook(url, {"x": 1}, sleep=lambda s: None)
    srv.statuses[:] = [404]
    with pytest.raises(DeliveryError, match="refused the alert \\(HTTP 404\\)"):
        post_webhook(url, {"x": 1}, sleep=lambda s: None)
    assert len(srv.bodies) == 4  # a 404 is not retried


def test_webhook_url_comes_from_the_environment_only() -> None:
    assert webhook_url(Settings(alert_webhook_url=SecretStr(" https://bridge.example/x "))) == "https://bridge.example/x"
    assert webhook_url(Settings()) == ""  # outside a flow run no Prefect block is looked up
    shown = Settings(alert_webhook_url=SecretStr("https://bridge.example/hook?token=s3cret"))
    assert "s3cret" not in shown.model_dump_json() and "s3cret" not in repr(shown)  # a secret is never printed
    with pytest.raises(DeliveryError, match="http"):
        post_webhook("file:///etc/passwd", {})


def test_the_alert_comes_first_in_every_format_of_the_digest() -> None:
    doc = build_digest([_item(1, "a"), _item(2, "b")], period=(T0 - timedelta(hours=20), T0 + timedelta(hours=4)))
    doc.alerts = [alert_ref(_alert(headline=HOSTILE), [_item(1, "a", title=HOSTILE), _item(2, "b")])]
    html, md, txt = render_html(doc), render_markdown(doc), render_text(doc)
    assert html.index('id="alerts"') < html.index('id="figures"') < html.index('id="top-concerns"')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert md.index("هشدارهای فوری") < md.index("مهم‌ترین نگرانی‌های شهروندان")
    assert "<script>" not in md
    assert txt.index("هشدارهای فوری") < txt.index("مهم‌ترین نگرانی‌های شهروندان")
    # Without alerts, no empty section.
    doc.alerts = []
    assert 'id="alerts"' not in render_html(doc) and "هشدارهای فوری" not in render_markdown(doc)
