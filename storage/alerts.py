"""Alerts in the store: `store.alerts` (an `Alerts`), the reads the rule needs, and the alert rows.

The rule itself is nlp/alerts.py; this module keeps what it decided (the kernel's `Alert` record), so
that the next pulse, the morning digest and the workspace see the same alerts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.engine import Row

from mediawatch.records import Alert, ConcernMark, DigestItem
from storage.base import StoreBase, analysed
from storage.digests import digest_query, read_digest_items
from storage.schema import alerts, analyses, articles, cluster_members


def _alert(r: Row[Any]) -> Alert:
    return Alert(key=r.key, rule=r.rule, critical=r.critical, domain=r.domain, headline=r.headline,
                 article_ids=tuple(int(a) for a in r.article_ids), outlets=tuple(r.outlets), figures=dict(r.figures),
                 opened_at=r.opened_at, updated_at=r.updated_at, last_article_at=r.last_article_at,
                 started_at=r.started_at, closed_at=r.closed_at, sent_at=r.sent_at, webhook_at=r.webhook_at,
                 delivery_error=r.delivery_error, id=r.id)


def _values(a: Alert) -> dict[str, Any]:
    return dict(key=a.key, rule=a.rule, critical=a.critical, domain=a.domain, headline=a.headline,
                article_ids=list(a.article_ids), outlets=list(a.outlets), figures=dict(a.figures),
                started_at=a.started_at, opened_at=a.opened_at, updated_at=a.updated_at,
                last_article_at=a.last_article_at, closed_at=a.closed_at, sent_at=a.sent_at,
                webhook_at=a.webhook_at, delivery_error=a.delivery_error)


class Alerts(StoreBase):
    """The alert rows and the reads behind them; reached as `store.alerts`."""

    # --- what the rule reads ---------------------------------------------------------------------
    def items(self, since: datetime, until: datetime, *, source_ids: Collection[str] | None = None) -> list[DigestItem]:
        """Analysed articles seen in [since, until] (of these sources when given), oldest first."""
        q = digest_query().where(articles.c.seen_at >= since, articles.c.seen_at <= until)
        if source_ids is not None:
            q = q.where(articles.c.source_id.in_(sorted(source_ids)))
        return read_digest_items(self, q)

    def articles(self, article_ids: Collection[int]) -> list[DigestItem]:
        """These analysed articles (an alert's), oldest first."""
        if not article_ids:
            return []
        return read_digest_items(self, digest_query().where(articles.c.id.in_(sorted(article_ids))))

    def concern_marks(self, since: datetime, until: datetime, *,
                      source_ids: Collection[str] | None = None) -> list[ConcernMark]:
        """The concern articles seen in [since, until): the surge rule's baseline (narrow rows only)."""
        q = (select(articles.c.id, articles.c.source_id, articles.c.seen_at, analyses.c.domain, analyses.c.places,
                    cluster_members.c.cluster_key)
             .select_from(analysed()
                          .outerjoin(cluster_members, cluster_members.c.article_id == articles.c.id))
             .where(articles.c.seen_at >= since, articles.c.seen_at < until, analyses.c.concern.is_(True)))
        if source_ids is not None:
            q = q.where(articles.c.source_id.in_(sorted(source_ids)))
        with self._read() as c:
            return [ConcernMark(article_id=r.id, source_id=r.source_id, seen_at=r.seen_at, domain=r.domain,
                                places=tuple(r.places or ()), story=r.cluster_key or f"a{r.id}") for r in c.execute(q)]

    # --- the alerts ------------------------------------------------------------------------------
    def current(self, *, closed_since: datetime | None = None) -> list[Alert]:
        """Open alerts, and those closed at or after `closed_since` (they may reopen), oldest first."""
        cond: ColumnElement[bool] = alerts.c.closed_at.is_(None)
        if closed_since is not None:
            cond = or_(cond, alerts.c.closed_at >= closed_since)
        with self._read() as c:
            return [_alert(r) for r in c.execute(select(alerts).where(cond).order_by(alerts.c.opened_at, alerts.c.id))]

    def between(self, since: datetime, until: datetime) -> list[Alert]:
        """Alerts opened or updated in [since, until), or still open at `until`: newest first, critical first."""
        q = select(alerts).where(alerts.c.opened_at < until, or_(
            alerts.c.updated_at >= since, alerts.c.closed_at.is_(None), alerts.c.closed_at >= since))
        with self._read() as c:
            found = [_alert(r) for r in c.execute(q)]
        return sorted(found, key=lambda a: (not a.critical, -a.opened_at.timestamp(), -(a.id or 0)))

    def get(self, key: str) -> Alert | None:
        with self._read() as c:
            r = c.execute(select(alerts).where(alerts.c.key == key)).first()
        return _alert(r) if r else None

    def save(self, items: Sequence[Alert]) -> None:
        """Insert or update alerts by key (ids are set on the records)."""
        for a in items:
            values = _values(a)
            stmt = self._insert(alerts).values(values)
            stmt = stmt.on_conflict_do_update(index_elements=[alerts.c.key],
                                              set_={k: stmt.excluded[k] for k in values if k != "key"})
            with self._write() as c:
                c.execute(stmt)
                a.id = int(c.scalar(select(alerts.c.id).where(alerts.c.key == a.key)))

    def mark_delivered(self, key: str, *, email_at: datetime | None = None, webhook_at: datetime | None = None,
                       error: str | None = None) -> None:
        """Record a delivery (e-mail, webhook) or its failure ("" clears the last error)."""
        values: dict[str, Any] = {}
        if email_at is not None:
            values["sent_at"] = email_at
        if webhook_at is not None:
            values["webhook_at"] = webhook_at
        if error is not None:
            values["delivery_error"] = error
        if values:
            with self._write() as c:
                c.execute(update(alerts).where(alerts.c.key == key).values(**values))
