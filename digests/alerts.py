"""Deliver early-warning alerts: an e-mail (Persian, RTL, HTML + plain text) to the secretariat and the
chair of the story's working group, and a JSON POST to the committee's webhook, with retries.

The alert itself comes from nlp/alerts.py through the store (`store.alerts`); this module only shows
it. Scraped text is escaped by the digests' own template environments (HTML autoescape, one_line in
text) and links are kept only when they are http(s), exactly as in the digests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import httpx

from digests import text_fa as ui
from digests.deliver import checked_recipients, recipients_for, send_message
from digests.errors import DeliveryError
from digests.records import AlertRef, article_ref, safe_url
from digests.render import _env, _plain_data
from mediawatch.records import DOMAIN_TITLES_FA, WORKING_GROUPS, Alert, DigestItem
from mediawatch.settings import Settings
from mediawatch.text import display_fa
from mediawatch.timeutil import format_jalali_datetime

if TYPE_CHECKING:
    from storage import Store

# A Prefect Secret block holding the webhook URL (it may carry a token), for deployments that keep secrets there.
WEBHOOK_SECRET_BLOCK = "mediawatch-alert-webhook-url"
# The bridge answers in seconds or is down; 10 s per try keeps a pulse from hanging on it.
WEBHOOK_TIMEOUT_S = 10.0
# Statuses worth another try: the bridge restarting or overloaded. Any other 4xx is a configuration error.
WEBHOOK_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# At most this many articles in an e-mail or a webhook message (the workspace shows the rest).
MAX_ARTICLES = 20


def alert_ref(alert: Alert, items: Sequence[DigestItem], *, public_url: str = "") -> AlertRef:
    """The alert as readers see it; `items` are its articles (store.alerts.articles), any order."""
    group_title = DOMAIN_TITLES_FA.get(alert.domain, alert.domain)
    kind, _, name = alert.key.partition(":") if alert.rule == "surge" else ("", "", "")
    headline = (ui.surge_headline(kind, name, group_title) if alert.rule == "surge"
                else display_fa(alert.headline) or ui.UNTITLED)
    by_id = {i.article_id: i for i in items}
    ordered = [by_id[a] for a in alert.article_ids if a in by_id]
    ordered.sort(key=lambda i: (i.seen_at, i.article_id))
    outlets = list(dict.fromkeys(i.source_name for i in ordered)) or list(alert.outlets)
    story = "" if alert.rule == "surge" else alert.key
    base = public_url.rstrip("/")
    return AlertRef(
        key=alert.key, rule=alert.rule, rule_title=ui.ALERT_RULE_TITLES.get(alert.rule, alert.rule),
        critical=alert.critical, headline=headline, reason=ui.alert_reason(alert.rule, alert.figures),
        domain=alert.domain, group_title=group_title, opened_at=alert.opened_at,
        opened_fa=format_jalali_datetime(alert.opened_at), started_fa=format_jalali_datetime(alert.started_at),
        closed=alert.closed_at is not None, outlets=outlets, articles=[article_ref(i) for i in ordered[-MAX_ARTICLES:]],
        story_key=story,
        workspace_url=safe_url(f"{base}/story/{story}" if base and story and not story.startswith("a") else base),
    )


def alerts_for(store: Store, since: datetime, until: datetime, *, public_url: str = "") -> list[AlertRef]:
    """The alerts raised, updated or still open in [since, until), critical first then newest, as readers see them."""
    found = store.alerts.between(since, until)
    items = store.alerts.articles({a for al in found for a in al.article_ids})
    return [alert_ref(al, items, public_url=public_url) for al in found]


def render_alert_html(ref: AlertRef) -> str:
    """The alert e-mail's HTML part: one small RTL page (no embedded font: it must open fast on a phone)."""
    return _env("html").get_template("alert.html.j2").render(alert=ref)


def render_alert_text(ref: AlertRef) -> str:
    """The alert e-mail's plain-text part."""
    return _env("txt").get_template("alert.txt.j2").render(alert=ref)


def alert_payload(ref: AlertRef, event: str = "opened") -> dict[str, Any]:
    """The webhook's JSON body (schema mediawatch.alert/1): plain data, links only when http(s)."""
    data = _plain_data(ref)
    data["schema"] = "mediawatch.alert/1"
    data["event"] = event
    data["subject"] = ui.alert_subject(ref.headline, ref.critical)
    data["text"] = render_alert_text(ref)  # ready for a messenger bridge that only forwards text
    return data


def alert_recipients(settings: Settings, domain: str) -> list[str]:
    """The secretariat and the chair of the alert's working group (MEDIAWATCH_RECIPIENTS), once each."""
    keys = ["secretariat", *([domain] if domain in {str(g) for g in WORKING_GROUPS} else [])]
    return list(dict.fromkeys(a for k in keys for a in recipients_for(settings, k)))


def build_alert_message(ref: AlertRef, recipients: Sequence[str], sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = ui.alert_subject(ref.headline, ref.critical)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    if ref.critical:
        msg["Importance"] = "high"
        msg["X-Priority"] = "1"
    msg.set_content(render_alert_text(ref), charset="utf-8")
    msg.add_alternative(render_alert_html(ref), subtype="html", charset="utf-8")
    msg["Content-Language"] = "fa"  # after add_alternative, which moves Content-* headers into the first part
    return msg


def send_alert_email(ref: AlertRef, settings: Settings) -> list[str]:
    """E-mail the alert to its recipients; the addresses it went to. Raises DeliveryError saying what to fix."""
    recipients = checked_recipients(alert_recipients(settings, ref.domain), settings)
    send_message(build_alert_message(ref, recipients, settings.mail_from), recipients, settings,
                 f"the alert «{ref.headline[:60]}»")
    return recipients


def webhook_url(settings: Settings) -> str:
    """The webhook's URL: MEDIAWATCH_ALERT_WEBHOOK_URL (or, inside a flow run, the Prefect Secret block
    `mediawatch-alert-webhook-url`, which `flows.secrets.with_webhook_url` puts into the settings); ""
    when none is configured."""
    return settings.alert_webhook_url.get_secret_value().strip()


def post_webhook(url: str, payload: dict[str, Any], *, retries: int = 3, backoff_s: float = 1.0,
                 timeout_s: float = WEBHOOK_TIMEOUT_S, sleep: Callable[[float], None] = time.sleep) -> int:
    """POST the JSON payload; retried on connection errors, timeouts, 408/425/429 and 5xx (1 s, 2 s, … apart).

    Redirects are not followed (a webhook that moved must be reconfigured); the answer's body is never
    read. Returns the tries it took; raises DeliveryError naming the URL's host and what to do.
    """
    if safe_url(url) == "":
        raise DeliveryError("MEDIAWATCH_ALERT_WEBHOOK_URL must be an http(s) URL")
    host = httpx.URL(url).host
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "mediawatch-alerts"}
    last = ""
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        for attempt in range(1, retries + 1):
            try:
                with client.stream("POST", url, content=body, headers=headers) as resp:
                    status = resp.status_code
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if 200 <= status < 300:
                    return attempt
                last = f"HTTP {status}"
                if status not in WEBHOOK_RETRY_STATUSES:
                    raise DeliveryError(f"the alert webhook at {host} refused the alert ({last}); check "
                                        "MEDIAWATCH_ALERT_WEBHOOK_URL and the bridge's settings")
            if attempt < retries:
                sleep(backoff_s * 2 ** (attempt - 1))
    raise DeliveryError(f"the alert webhook at {host} did not take the alert after {retries} tries ({last}); "
                        "it is retried at the next pulse")


__all__ = [
    "alert_payload",
    "alert_recipients",
    "alert_ref",
    "alerts_for",
    "build_alert_message",
    "post_webhook",
    "render_alert_html",
    "render_alert_text",
    "send_alert_email",
    "webhook_url",
]
