"""Working group: the chair's page — open concerns of the last week, referrals and their state (overdue
first), and the month's trend as an inline SVG chart like the digests'."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digests.charts import per_group_svg
from digests.records import Brief
from digests.select import CHART_DAYS, build_brief
from mediawatch.timeutil import tehran_today, utcnow
from storage import Store
from web.pages.common import overlay
from web.render import GROUPS, ctx_of, error, render, view

# The chair's page looks at the last week's concerns: what is still worth acting on.
WINDOW_DAYS = 7
# Answered referrals stay on the page for a month, so the chair sees what was done.
ANSWERED_DAYS = 30


def groups(request: Request) -> Response:
    user = request.state.user
    if user.role == "chair" and user.group:
        return RedirectResponse(f"/group/{user.group}", status_code=303)
    return render(request, "groups.html.j2")


def _brief(store: Store, g: str) -> tuple[Brief, str]:
    """The group's last week as a brief (concerns, figures) with its 30-day chart; corrections applied."""
    end = utcnow()
    start = end - timedelta(days=WINDOW_DAYS)
    items = overlay(store, store.digest_items(end - timedelta(days=CHART_DAYS), end))
    brief = build_brief(g, [i for i in items if i.seen_at >= start], period=(start, end),
                        history=[i for i in items if i.seen_at < start])
    return brief, per_group_svg(brief.charts)


def group(request: Request) -> Response:
    g = request.path_params["group"]
    if g not in GROUPS:
        return error(request, 404, "چنین کارگروهی نیست.")
    ctx = ctx_of(request)
    store = ctx.store
    brief, chart = ctx.cache.get(("group", g, store.count_articles()), lambda: _brief(store, g))
    end = utcnow()
    refs = store.workspace.referrals(group=g)
    today = tehran_today()
    since = end - timedelta(days=ANSWERED_DAYS)
    open_refs = sorted((r for r in refs if r.open), key=lambda r: (not r.overdue(today), r.due_date or today))
    done = [r for r in refs if not r.open and (r.answered_at or r.closed_at or r.updated_at) >= since]
    referred = {r.cluster_key for r in refs}
    return render(request, "group.html.j2", g=g, brief=brief, open_refs=open_refs, done=done, today=today,
                  referred=referred, chart=chart,
                  overdue=sum(1 for r in open_refs if r.overdue(today)))


routes = [Route("/groups", view(groups)), Route("/group/{group}", view(group))]
