"""Today: the morning digest built live from the database (with people's corrections), every story and
article clickable. After the morning, what arrived since is one click away: the next morning's digest
as it stands now."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digests.charts import per_group_svg, tone_svg
from digests.periods import WORKING_WEEKDAYS
from digests.run import build_morning
from mediawatch.timeutil import jalali_iso, tehran_today, utcnow
from storage import Store
from web.pages.common import date_param, overlay
from web.render import ctx_of, render, view


def next_working_day(day: date) -> date:
    d = day + timedelta(days=1)
    while d.weekday() not in WORKING_WEEKDAYS:
        d += timedelta(days=1)
    return d


def _build(store: Store, day: date) -> dict[str, Any]:
    _, doc = build_morning(store, day, adjust=lambda items: overlay(store, items))
    now = utcnow()
    since = sum(store.domain_counts(doc.period_end, now).values()) if doc.period_end < now else 0
    return dict(doc=doc, day=day, group_chart=per_group_svg(doc.charts), tone_chart=tone_svg(doc.charts.tone),
                arrived_since=since, next_day=jalali_iso(next_working_day(day)))


def today(request: Request) -> Response:
    ctx = ctx_of(request)
    day = date_param(request.query_params.get("date")) or tehran_today()
    page = ctx.cache.get(("today", day, ctx.store.count_articles()), lambda: _build(ctx.store, day))
    return render(request, "today.html.j2", **page)


routes = [Route("/", view(today))]
