"""Today: the morning digest built live from the database (with people's corrections), every story and
article clickable."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digests.charts import per_group_svg, tone_svg
from digests.run import build_morning
from mediawatch.timeutil import tehran_today
from web.pages.common import date_param, overlay
from web.render import ctx_of, render, view


def today(request: Request) -> Response:
    store = ctx_of(request).store
    day = date_param(request.query_params.get("date")) or tehran_today()
    _, doc = build_morning(store, day, adjust=lambda items: overlay(store, items))
    return render(request, "today.html.j2", doc=doc, day=day, group_chart=per_group_svg(doc.charts),
                  tone_chart=tone_svg(doc.charts.tone))


routes = [Route("/", view(today))]
