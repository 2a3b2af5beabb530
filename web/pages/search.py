"""Search: full text with filters (working group, outlet, outlet kind, concern, tone, place, Jalali date
range), paged, and exported as CSV or XLSX with the same filters."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from mediawatch.records import DOMAIN_TITLES_FA, KIND_TITLES_FA, TONE_TITLES_FA
from mediawatch.timeutil import jalali_iso, tehran_today
from storage.export import write_export
from storage.workspace import COUNT_CAP, Filters
from web.pages.common import PAGE_SIZE, date_param, day_start, int_param
from web.render import ctx_of, error, render, view

# What a search box may hold: longer input is cut (a query is a few words, not a page).
MAX_QUERY = 200
PARAMS = ("q", "group", "source", "kind", "concern", "tone", "place", "from", "to", "sort")


def filters(request: Request) -> tuple[Filters, dict[str, str]]:
    """The filters from the query string (unknown values ignored), and the cleaned parameters."""
    p = {k: request.query_params.get(k, "").strip()[:MAX_QUERY] for k in PARAMS}
    start, end = date_param(p["from"]), date_param(p["to"])
    f = Filters(
        query=p["q"],
        domain=p["group"] if p["group"] in DOMAIN_TITLES_FA else None,
        source_id=p["source"] or None,
        source_kind=p["kind"] if p["kind"] in KIND_TITLES_FA else None,
        concern={"yes": True, "no": False}.get(p["concern"]),
        tone=p["tone"] if p["tone"] in TONE_TITLES_FA else None,
        place=p["place"] or None,
        since=day_start(start),
        until=day_start(end + timedelta(days=1)) if end else None,
        sort="best" if p["sort"] == "best" else "new",
    )
    return f, {k: v for k, v in p.items() if v}


def search(request: Request) -> Response:
    ctx = ctx_of(request)
    f, params = filters(request)
    page = max(1, int_param(request, "page", 1))
    hits, total = ctx.store.workspace.search(f, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-min(total, COUNT_CAP) // PAGE_SIZE))
    return render(request, "search.html.j2", f=f, params=params, hits=hits, total=total, page=page, pages=pages,
                  cap=COUNT_CAP,
                  qs=urlencode(params), page_qs=lambda n: urlencode({**params, "page": n}),
                  sources=sorted(ctx.store.sources().values(), key=lambda s: s.name),
                  places=ctx.cache.get(("places", ctx.store.count_articles()), ctx.store.workspace.places))


def export(request: Request) -> Response:
    ctx = ctx_of(request)
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        return error(request, 404, "خروجی فقط CSV یا XLSX است.")
    # An export is a GET (a link a clerk can bookmark), so it carries no CSRF token; but it costs up to
    # 50,000 rows of work and writes an audit entry in the user's name, so another site's link or image
    # must not start one. Browsers say where a request comes from (Fetch Metadata); a typed or bookmarked
    # URL is «none», the search page's own link «same-origin».
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return error(request, 403, "خروجی فقط از صفحهٔ جست‌وجوی همین میز کار گرفته می‌شود؛ آن را از همان‌جا بگیرید.")
    f, _ = filters(request)
    ids = ctx.store.workspace.search_ids(f)
    tmp = Path(tempfile.mkdtemp(prefix="mediawatch-export-"))
    out = tmp / f"mediawatch-{jalali_iso(tehran_today())}.{fmt}"
    write_export(ctx.store, fmt, out, ids=ids)
    ctx.store.workspace.audit(request.state.user.name, "export", f"search:{fmt}", None, {"rows": len(ids)})

    def cleanup() -> None:
        out.unlink(missing_ok=True)
        tmp.rmdir()

    media = "text/csv; charset=utf-8" if fmt == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return FileResponse(out, media_type=media, filename=out.name, background=BackgroundTask(cleanup))


routes = [
    Route("/search", view(search)),
    Route("/search.{fmt:str}", view(export)),
]
