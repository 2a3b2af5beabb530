"""Review queue: the judgements a person should look at first (least certain first), none corrected yet."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages.common import PAGE_SIZE, int_param
from web.render import ctx_of, render, view


def review(request: Request) -> Response:
    page = max(1, int_param(request, "page", 1))
    rows = ctx_of(request).store.review_queue(PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render(request, "review.html.j2", rows=rows[:PAGE_SIZE], page=page, more=len(rows) > PAGE_SIZE)


routes = [Route("/review", view(review))]
