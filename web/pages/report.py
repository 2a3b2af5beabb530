"""The monthly accountability report as a page (and as Markdown or JSON to download)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediawatch.timeutil import tehran_today
from web.render import ctx_of, error, render, view
from web.report import days_fa, monthly_report, parse_month, to_json, to_markdown


def report(request: Request) -> Response:
    try:
        year, month = parse_month(request.query_params.get("month"), tehran_today())
    except ValueError:
        return error(request, 400, "ماه را مانند ۱۴۰۵-۰۹ بنویسید.")
    rep = monthly_report(ctx_of(request).store, year, month)
    fmt = request.path_params.get("fmt")
    if fmt == "md":
        return Response(to_markdown(rep), media_type="text/markdown; charset=utf-8")
    if fmt == "json":
        return Response(to_json(rep), media_type="application/json")
    if fmt is not None:
        return error(request, 404, "گزارش ماهانه به صورت md یا json هم هست.")
    return render(request, "report.html.j2", doc=rep, days_fa=days_fa, month=f"{year:04d}-{month:02d}")


routes = [Route("/report", view(report)), Route("/report.{fmt:str}", view(report))]
