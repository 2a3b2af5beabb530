"""Corrections: a person's label for one field of an article, who and when; the training rows they make;
and the review queue of the articles a person should look at first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, not_, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from mediawatch.records import CORRECTABLE_FIELDS, Domain, Tone
from mediawatch.timeutil import utcnow
from storage.base import BATCH_ROWS, StoreBase, analysed, chunks
from storage.errors import StoreError
from storage.schema import analyses, article_texts, articles, corrections, sources


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One article in the review queue (`Store.review_queue`)."""

    article_id: int
    url: str
    title: str
    source_id: str
    source_name: str
    seen_at: datetime
    domain: str
    concern: bool
    uncertainty: float | None
    concern_score: float = 0.0
    tone: str | None = None


class CorrectionStore(StoreBase):
    """People's corrections, the labels they make, and the review queue; see docs/storage.md ("Corrections")."""

    def add_correction(self, article_id: int, *, field: str, value: str | bool | None, who: str,
                       note: str = "") -> int:
        """Record a person's label for one field of an article; its id."""
        value = _check_correction(field, value)
        if not who.strip():
            raise StoreError("say who made the correction (--who NAME)")
        try:
            with self._write() as c:
                return int(c.execute(corrections.insert().values(
                    article_id=article_id, field=field, value=value, who=who.strip(), note=note,
                    created_at=utcnow()).returning(corrections.c.id)).scalar_one())
        except IntegrityError as exc:
            raise StoreError(f"no article with id {article_id}: find it with `mediawatch search`") from exc

    def corrections_as_labels(self) -> Iterator[dict[str, Any]]:
        """One train.jsonl-shaped row per corrected article: current analysis overlaid with corrections."""
        with self._read() as c:
            ids = list(c.scalars(select(corrections.c.article_id).distinct().order_by(corrections.c.article_id)))
        for chunk in chunks(ids, BATCH_ROWS):
            with self._read() as c:
                base = {r.id: r for r in c.execute(
                    select(articles.c.id, articles.c.url, articles.c.source_id, articles.c.title, articles.c.lead,
                           article_texts.c.body, analyses.c.municipal, analyses.c.domain, analyses.c.secondary,
                           analyses.c.rasht, analyses.c.concern, analyses.c.tone, analyses.c.domain_scores)
                    .select_from(articles.join(article_texts, article_texts.c.article_id == articles.c.id)
                                 .outerjoin(analyses, analyses.c.id == articles.c.analysis_id))
                    .where(articles.c.id.in_(chunk)))}
                fixes: dict[int, list[Row[Any]]] = {}
                for r in c.execute(select(corrections).where(corrections.c.article_id.in_(chunk))
                                   .order_by(corrections.c.created_at, corrections.c.id)):
                    fixes.setdefault(r.article_id, []).append(r)
            for aid in chunk:
                b = base[aid]
                row: dict[str, Any] = {
                    "id": f"mw-{aid}", "title": b.title, "text": "\n\n".join(x for x in (b.lead, b.body) if x),
                    "source_outlet": b.source_id, "dataset": "corrections", "url": b.url,
                    "municipal": b.municipal, "domain": b.domain, "secondary": b.secondary, "rasht": b.rasht,
                    "concern": b.concern, "tone": b.tone, "confidence": "high",
                }
                # Oldest first, so a later correction of a field replaces an earlier one.
                order: dict[str, int] = {}
                corrected: dict[str, str] = {}
                for k, f in enumerate(fixes.get(aid, [])):
                    row[f.field] = f.value
                    order[f.field] = k
                    corrected[f.field] = f.created_at.isoformat()
                    row["who"], row["corrected_at"] = f.who, f.created_at.isoformat()
                row["corrected"] = corrected  # field → when it was (last) corrected
                _consistent(row, order, b.domain_scores)
                yield row

    def review_queue(self, limit: int = 20, *, domain: str | None = None, since: datetime | None = None,
                     offset: int = 0) -> list[ReviewItem]:
        """Analysed articles a person should confirm or correct first: the highest current-analysis
        uncertainty (nlp.analyze.uncertainty) first, unscored (NULL) ones last; among equals the concern
        score nearest 0.5 (the concern judgement closest to a coin toss), then the newest.

        Articles that already have a correction are left out: someone has looked at them. The command
        line (`mediawatch review-queue`) and the workspace's review page both read this one order.
        """
        corrected = exists().where(corrections.c.article_id == articles.c.id)
        q = (select(articles.c.id, articles.c.url, articles.c.title, articles.c.source_id,
                    sources.c.name.label("source_name"), articles.c.seen_at, analyses.c.domain,
                    analyses.c.concern, analyses.c.uncertainty, analyses.c.concern_score, analyses.c.tone)
             .select_from(analysed().join(sources, sources.c.id == articles.c.source_id))
             .where(not_(corrected))
             .order_by(analyses.c.uncertainty.desc().nulls_last(), func.abs(analyses.c.concern_score - 0.5),
                       articles.c.seen_at.desc(), articles.c.id.desc())
             .offset(offset).limit(limit))
        if domain is not None:
            q = q.where(analyses.c.domain == str(domain))
        if since is not None:
            q = q.where(articles.c.seen_at >= since)
        with self._read() as c:
            return [ReviewItem(article_id=r.id, url=r.url, title=r.title, source_id=r.source_id,
                               source_name=r.source_name, seen_at=r.seen_at, domain=r.domain, concern=r.concern,
                               uncertainty=r.uncertainty, concern_score=r.concern_score, tone=r.tone)
                    for r in c.execute(q)]


def _consistent(row: dict[str, Any], order: dict[str, int], scores: dict[str, float] | None) -> None:
    """Keep a corrected row true to the guideline (other ⇔ not municipal; no tone outside the municipality).

    municipal and domain are tied: whichever of the two was corrected last decides the other. A person
    who says "municipal after all" about an article the model put under `other` gets the model's likeliest
    working group (None when unknown: the row is then incomplete and not used for training).
    """
    mun_last = "municipal" in order and order["municipal"] > order.get("domain", -1)
    if "domain" in order and not mun_last:
        row["municipal"] = row["domain"] != "other"
    elif row["municipal"] is True and row["domain"] in (None, "other"):
        groups = {k: v for k, v in (scores or {}).items() if k != "other"}
        row["domain"] = max(groups, key=groups.__getitem__) if groups else None
    elif row["municipal"] is False:
        row["domain"] = "other"
    if row["municipal"] is False and "tone" not in order:
        row["tone"] = None
    if row["municipal"] is None and row["domain"] is not None:
        row["municipal"] = row["domain"] != "other"


def _check_correction(field_: str, value: str | bool | None) -> str | bool | None:
    if field_ not in CORRECTABLE_FIELDS:
        raise StoreError(f"cannot correct {field_!r}: choose one of {', '.join(CORRECTABLE_FIELDS)}")
    if field_ in ("municipal", "rasht", "concern"):
        if isinstance(value, bool):
            return value
        v = str(value).strip().lower()
        if v in ("true", "yes", "1", "بله"):
            return True
        if v in ("false", "no", "0", "خیر"):
            return False
        raise StoreError(f"{field_} takes true or false, not {value!r}")
    if value is None or str(value).strip().lower() in ("", "null", "none"):
        if field_ == "domain":
            raise StoreError("domain cannot be empty: use one of " + ", ".join(d.value for d in Domain))
        return None
    allowed = [t.value for t in Tone] if field_ == "tone" else [d.value for d in Domain]
    if str(value) not in allowed:
        raise StoreError(f"{field_} must be one of {', '.join(allowed)} (or null), not {value!r}")
    return str(value)
