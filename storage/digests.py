"""What a digest reads and what it delivered: a period's analysed articles with their story, and the digests.

`DigestStore` reads `DigestItem`s (the alerts and the workspace read them through `digest_query` and
`read_digest_items`) and records each digest or brief as delivered, one per kind, group and period end.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, text, update

from mediawatch.records import DigestItem, Domain, SourceKind, Tone
from mediawatch.timeutil import utcnow
from storage.base import StoreBase, analysed
from storage.schema import analyses, articles, cluster_members, digests, sources


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """A digest or brief as delivered."""

    id: int
    kind: str
    group: str | None
    period_start: datetime
    period_end: datetime
    created_at: datetime
    content: dict[str, Any]
    paths: tuple[str, ...]


def digest_query() -> Select[Any]:
    """The analysed articles with their outlet and story, oldest first: add the conditions, then read it with
    `read_digest_items`."""
    return (select(articles.c.id, articles.c.url, articles.c.source_id, sources.c.name.label("source_name"),
                   sources.c.kind.label("source_kind"), articles.c.title, articles.c.lead,
                   articles.c.published_at, articles.c.fetched_at, analyses.c.municipal, analyses.c.domain,
                   analyses.c.secondary, analyses.c.rasht, analyses.c.places, analyses.c.concern,
                   analyses.c.concern_score, analyses.c.key_sentence, analyses.c.tone,
                   cluster_members.c.cluster_key, cluster_members.c.duplicate_of)
            .select_from(analysed()
                         .join(sources, sources.c.id == articles.c.source_id)
                         .outerjoin(cluster_members, cluster_members.c.article_id == articles.c.id))
            .order_by(articles.c.seen_at, articles.c.id))


def read_digest_items(part: StoreBase, q: Select[Any], *, late: bool = False) -> list[DigestItem]:
    """The rows of `q` (a `digest_query()`) as DigestItems, marked `late` when asked."""
    with part._read() as c:
        return [DigestItem(
            article_id=r.id, url=r.url, source_id=r.source_id, source_name=r.source_name,
            source_kind=SourceKind(r.source_kind), title=r.title, lead=r.lead, published_at=r.published_at,
            fetched_at=r.fetched_at, municipal=r.municipal, domain=Domain(r.domain),
            secondary=Domain(r.secondary) if r.secondary else None, rasht=r.rasht,
            places=tuple(r.places or ()), concern=r.concern, concern_score=r.concern_score,
            key_sentence=r.key_sentence, tone=Tone(r.tone) if r.tone else None,
            cluster_key=r.cluster_key, is_duplicate=r.duplicate_of is not None, late=late) for r in c.execute(q)]


class DigestStore(StoreBase):
    """A period's analysed articles for the digests, and the digests as delivered; see docs/storage.md."""

    def digest_items(self, since: datetime, until: datetime, *, domain: str | None = None) -> list[DigestItem]:
        """Analysed articles seen in [since, until) (optionally of one primary domain), oldest first."""
        q = digest_query().where(articles.c.seen_at >= since, articles.c.seen_at < until)
        if domain is not None:
            q = q.where(analyses.c.domain == str(domain))
        return read_digest_items(self, q)

    def late_items(self, published_since: datetime, published_until: datetime,
                   fetched_after: datetime) -> list[DigestItem]:
        """Late finds: analysed articles seen in [published_since, published_until) but fetched after
        `fetched_after` (the previous digest's making), so no digest has shown them; marked late, oldest first."""
        q = digest_query().where(articles.c.seen_at >= published_since, articles.c.seen_at < published_until,
                                       articles.c.fetched_at > fetched_after)
        return read_digest_items(self, q, late=True)

    def domain_counts(self, since: datetime, until: datetime, *, municipal_only: bool = False) -> dict[str, int]:
        """How many analysed articles seen in [since, until) each primary domain has."""
        q = (select(analyses.c.domain, func.count()).select_from(analysed())
             .where(articles.c.seen_at >= since, articles.c.seen_at < until).group_by(analyses.c.domain))
        if municipal_only:
            q = q.where(analyses.c.municipal.is_(True))
        with self._read() as c:
            return {d: int(n) for d, n in c.execute(q)}

    def save_digest(self, kind: str, *, group: str | None, period_start: datetime, period_end: datetime,
                    content: dict[str, Any], paths: Sequence[str]) -> int:
        """Record a digest as delivered; its id. A re-run for the same kind, group and period end replaces it."""
        cond = digests.c.group.is_(None) if group is None else digests.c.group == group
        values = dict(period_start=period_start, created_at=utcnow(), content=content, paths=[str(p) for p in paths])
        with self._write() as c:
            if self.dialect == "postgresql":  # serialise re-runs of one digest (SQLite: BEGIN IMMEDIATE does it)
                key = zlib.crc32(f"digest|{kind}|{group}|{period_end.isoformat()}".encode())
                c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            same = list(c.scalars(select(digests.c.id).where(digests.c.kind == kind, cond,
                                                               digests.c.period_end == period_end)
                                  .order_by(digests.c.id)))
            if not same:
                return int(c.execute(digests.insert().values(kind=kind, group=group, period_end=period_end, **values)
                                     .returning(digests.c.id)).scalar_one())
            c.execute(update(digests).where(digests.c.id == same[0]).values(**values))
            if len(same) > 1:  # rows left by versions that inserted on every re-run
                c.execute(delete(digests).where(digests.c.id.in_(same[1:])))
            return int(same[0])

    def last_digest(self, kind: str, group: str | None = None, *,
                    ending_by: datetime | None = None) -> DigestRecord | None:
        """The digest of this kind and group (None group: the secretariat's) with the latest period end.

        Ordered by period_end, not by creation: regenerating an old digest does not make it the "last" one.
        With `ending_by`, only digests whose period ended at or before it count.
        """
        cond = digests.c.group.is_(None) if group is None else digests.c.group == group
        q = select(digests).where(digests.c.kind == kind, cond)
        if ending_by is not None:
            q = q.where(digests.c.period_end <= ending_by)
        with self._read() as c:
            r = c.execute(q.order_by(digests.c.period_end.desc(), digests.c.created_at.desc(),
                                     digests.c.id.desc()).limit(1)).first()
        if r is None:
            return None
        return DigestRecord(id=r.id, kind=r.kind, group=r.group, period_start=r.period_start,
                            period_end=r.period_end, created_at=r.created_at, content=r.content,
                            paths=tuple(r.paths))
