"""The pulse's alert steps as plain functions: evaluate the rule over the store, deliver one alert.

flows/pulse.py wraps them in Prefect tasks; the demo and the tests call them directly. The rule is
nlp/alerts.py, the alert rows storage/alerts.py, the e-mail and webhook digests/alerts.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mediawatch.records import Alert
from mediawatch.settings import Settings
from mediawatch.timeutil import utcnow


@dataclass(slots=True)
class AlertRound:
    """What one evaluation did: keys opened / updated / closed, and those due for delivery."""

    opened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    due: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


def local_source_ids(store, settings: Settings) -> set[str]:
    """The stored sources the pulse watches (scope in MEDIAWATCH_PULSE_SCOPES)."""
    scopes = set(settings.pulse_scopes)
    return {s.id for s in store.sources().values() if str(s.scope) in scopes}


def evaluate_step(store, *, now: datetime | None = None, settings: Settings,
                  source_ids: Collection[str] | None = None) -> AlertRound:
    """Run the rule at `now` over the local outlets' articles and store what changed."""
    from nlp.alerts import AlertRules, advance, evaluate, group_stories, held

    now = now or utcnow()
    rules = AlertRules.from_settings(settings)
    ids = local_source_ids(store, settings) if source_ids is None else set(source_ids)
    span = rules.window + rules.close_after
    items = store.alerts.items(now - span, now, source_ids=ids)
    window_start = now - rules.window
    baseline = store.alerts.concern_marks(window_start - timedelta(days=rules.baseline_days), window_start,
                                          source_ids=ids)
    current = store.alerts.current(closed_since=now - span)
    triggers = evaluate(items, baseline, now, rules, alerted=[a.key for a in current if a.closed_at is None])
    step = advance(current, triggers, now, rules, stories=group_stories(items))
    store.alerts.save(step.changed)
    waiting = [a for a in current + step.opened if held(a, now, rules)]
    return AlertRound(opened=[a.key for a in step.opened], updated=[a.key for a in step.updated],
                      closed=[a.key for a in step.closed], due=[a.key for a in step.due],
                      held=[a.key for a in waiting])


def _ref(store, alert: Alert, settings: Settings):
    from digests.alerts import alert_ref

    return alert_ref(alert, store.alerts.articles(alert.article_ids), public_url=settings.public_url)


def email_step(store, key: str, *, settings: Settings, now: datetime | None = None) -> list[str]:
    """E-mail one alert (if e-mail is configured and it was not sent yet); the recipients. Raises DeliveryError."""
    from digests.alerts import send_alert_email
    from digests.errors import DeliveryError

    alert = store.alerts.get(key)
    if alert is None or alert.sent_at is not None:
        return []
    if not settings.smtp_host:  # no e-mail configured: this channel has nothing to do
        store.alerts.mark_delivered(key, email_at=now or utcnow())
        return []
    try:
        sent = send_alert_email(_ref(store, alert, settings), settings)
    except DeliveryError as exc:
        store.alerts.mark_delivered(key, error=f"e-mail: {exc}")
        raise
    store.alerts.mark_delivered(key, email_at=now or utcnow(), error="")
    return sent


def webhook_step(store, key: str, *, settings: Settings, url: str | None = None, sleep=None,
                 now: datetime | None = None) -> int:
    """POST one alert to the webhook (if one is configured and it was not posted yet); tries taken (0: none)."""
    from digests.alerts import alert_payload, post_webhook, webhook_url
    from digests.errors import DeliveryError

    alert = store.alerts.get(key)
    if alert is None or alert.webhook_at is not None:
        return 0
    if url is None:
        from flows.secrets import with_webhook_url

        url = webhook_url(with_webhook_url(settings))
    if not url:
        store.alerts.mark_delivered(key, webhook_at=now or utcnow())
        return 0
    event = "opened" if alert.updated_at == alert.opened_at else "updated"
    kw = {"sleep": sleep} if sleep is not None else {}
    try:
        tries = post_webhook(url, alert_payload(_ref(store, alert, settings), event),
                             retries=settings.alert_webhook_retries, **kw)
    except DeliveryError as exc:
        store.alerts.mark_delivered(key, error=f"webhook: {exc}")
        raise
    store.alerts.mark_delivered(key, webhook_at=now or utcnow(), error="")
    return tries


def replay_pulse(store, start: datetime, end: datetime, *, settings: Settings,
                 every: timedelta = timedelta(hours=1)) -> list[str]:
    """Evaluate the rule at every hour from `start` to `end`, as the hourly pulse would have, over
    articles collected all at once (the demo, or a catch-up after the pulse was down): each evaluation
    sees only the articles published by then. Nothing is e-mailed or posted (the alerts are marked
    delivered); the keys of the alerts opened, oldest first."""
    quiet = settings.model_copy(update={"smtp_host": ""})
    opened: list[str] = []
    now = start
    while now <= end:
        found = evaluate_step(store, now=now, settings=settings)
        opened += found.opened
        for key in found.due:
            email_step(store, key, settings=quiet, now=now)
            webhook_step(store, key, settings=quiet, url="", now=now)
        now += every
    return opened
