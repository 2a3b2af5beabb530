"""Article: text, outlet, link, the judgement with its scores and key sentence, similar articles, correction
history and the correction form."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storage import Store, StoreError
from web.auth import can_change
from web.pages.common import path_id
from web.render import ctx_of, error, form_value, render, view

# "Similar articles" shown under an article: a handful is enough to find the rest of a story.
SIMILAR = 5


def _similar(store: Store, aid: int) -> list[tuple[dict[str, Any], float | None]]:
    """(article, similarity) pairs from `store.similar_articles` when this store has it (the sentence encoder
    adds it), else none. Accepts hits as objects, dicts or (id, score) pairs."""
    find = getattr(store, "similar_articles", None)
    if not callable(find):
        return []
    out = []
    for hit in find(aid, limit=SIMILAR):
        if isinstance(hit, tuple | list):
            sid, score = hit[0], (hit[1] if len(hit) > 1 else None)
        elif isinstance(hit, dict):
            sid, score = hit.get("article_id", hit.get("id")), hit.get("score")
        else:
            sid, score = getattr(hit, "article_id", getattr(hit, "id", None)), getattr(hit, "score", None)
        other = store.workspace.article(int(sid)) if sid is not None else None
        if other is not None:
            out.append((other, float(score) if isinstance(score, int | float) else None))
    return out


def article(request: Request) -> Response:
    store = ctx_of(request).store
    aid = path_id(request, "aid")
    a = store.workspace.article(aid) if aid is not None else None
    if a is None:
        return error(request, 404, "این خبر پیدا نشد.")
    current = store.workspace.current_values([a["id"]]).get(a["id"], {})
    similar = _similar(store, a["id"])
    paragraphs = [p for p in a["body"].split("\n\n") if p.strip()]
    return render(request, "article.html.j2", a=a, current=current, paragraphs=paragraphs, similar=similar,
                  history=store.workspace.corrections_for(a["id"]),
                  scores=sorted((a["domain_scores"] or {}).items(), key=lambda kv: -kv[1]))


def correct(request: Request) -> Response:
    store = ctx_of(request).store
    user = request.state.user
    aid = path_id(request, "aid")
    current = store.workspace.current_values([aid]).get(aid) if aid is not None else None
    if aid is None or current is None:
        return error(request, 404, "این خبر پیدا نشد.")
    if not can_change(user, current.get("domain")):
        return error(request, 403, "رئیس کارگروه فقط خبرهای کارگروه خود را اصلاح می‌کند.")
    try:
        store.workspace.correct([aid], form_value(request, "field"), form_value(request, "value"), who=user.name,
                                note=form_value(request, "note"))
    except StoreError as exc:
        return error(request, 400, str(exc))
    ctx_of(request).cache.changed()  # pages built from many rows show the correction at once
    return RedirectResponse(f"/article/{aid}#judgement", status_code=303)


routes = [
    Route("/article/{aid}", view(article)),
    Route("/article/{aid}/correct", view(correct), methods=["POST"]),
]
