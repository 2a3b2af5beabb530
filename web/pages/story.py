"""Story: every article of a story across outlets, its timeline, places, outlets and tone; correct the whole
story, refer it to a working group and follow the referral."""

from __future__ import annotations

from collections import Counter

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digests.ranking import build_stories
from digests.records import safe_url
from mediawatch.records import DigestItem
from mediawatch.timeutil import tehran_today, utcnow
from storage import StoreError
from web.auth import can_change
from web.pages.common import date_param, overlay, path_id
from web.render import GROUPS, ctx_of, error, form_value, render, view


def story_group(items: list[DigestItem]) -> str:
    """The story's working group: the one most of its articles belong to (as corrected)."""
    return Counter(str(i.domain) for i in items).most_common(1)[0][0]


def _items(request: Request, key: str) -> list[DigestItem]:
    store = ctx_of(request).store
    return overlay(store, store.workspace.story_items(key))


def _story(request: Request) -> tuple[str, list[DigestItem], Response | None]:
    """(the story key, its articles as corrected, a 404 page when it has none)."""
    key = request.path_params["key"]
    items = _items(request, key)
    return key, items, None if items else error(request, 404, "این ماجرا پیدا نشد (شاید خبرهایش دوباره گروه‌بندی شده‌اند).")


def story(request: Request) -> Response:
    key, items, missing = _story(request)
    if missing:
        return missing
    s = build_stories(items, period_end=utcnow(), first_before={}, only_concerns=False)[0]
    places = Counter(p for i in items for p in i.places)
    tones = Counter(str(i.tone) for i in items if i.tone is not None)
    referrals = ctx_of(request).store.workspace.referrals(cluster_key=key)
    current = {f: Counter(getattr(i, f) for i in items).most_common(1)[0][0]
               for f in ("domain", "secondary", "concern", "tone", "municipal", "rasht")}
    current = {f: (str(v) if f in ("domain", "secondary", "tone") and v is not None else v) for f, v in current.items()}
    return render(request, "story.html.j2", s=s, key=key, group=story_group(items), places=places.most_common(),
                  tones=tones, referrals=referrals, today=tehran_today(), concern=any(i.concern for i in items),
                  story_current=current)


def correct_story(request: Request) -> Response:
    """One correction applied to every article of the story (a chair: only their own group's stories)."""
    key, items, missing = _story(request)
    if missing:
        return missing
    user = request.state.user
    if not can_change(user, story_group(items)):
        return error(request, 403, "رئیس کارگروه فقط ماجراهای کارگروه خود را اصلاح می‌کند.")
    try:
        ctx_of(request).store.workspace.correct([i.article_id for i in items], form_value(request, "field"),
                                                form_value(request, "value"), who=user.name,
                                                note=form_value(request, "note"))
    except StoreError as exc:
        return error(request, 400, str(exc))
    ctx_of(request).cache.changed()  # pages built from many rows show the correction at once
    return RedirectResponse(f"/story/{key}", status_code=303)


def refer(request: Request) -> Response:
    """Refer a story to a working group (new → referred → answered → closed)."""
    key, items, missing = _story(request)
    if missing:
        return missing
    user = request.state.user
    group = form_value(request, "group") or story_group(items)
    if group not in GROUPS:
        return error(request, 400, "کارگروه را از فهرست برگزینید.")
    if not (can_change(user, group) and can_change(user, story_group(items))):
        return error(request, 403, "رئیس کارگروه فقط ماجراهای کارگروه خود را ارجاع می‌دهد.")
    due_text = form_value(request, "due_date")
    due = date_param(due_text)
    if due_text and due is None:
        return error(request, 400, "تاریخ مهلت را مانند ۱۴۰۵/۰۹/۲۰ بنویسید.")
    answer = form_value(request, "answer_url")
    if answer and not safe_url(answer):
        return error(request, 400, "پیوند پاسخ باید نشانی کامل http یا https باشد.")
    s = build_stories(items, period_end=utcnow(), first_before={}, only_concerns=False)[0]
    lead = next((a.article_id for a in s.articles if not a.is_duplicate), s.articles[0].article_id)
    try:
        ctx_of(request).store.workspace.refer(
            cluster_key=key, article_id=lead, headline=s.headline, group=group, who=user.name,
            state=form_value(request, "state") or "referred", note=form_value(request, "note"),
            manager=form_value(request, "manager"), due_date=due, answer_url=answer)
    except StoreError as exc:
        return error(request, 400, str(exc))
    return RedirectResponse(f"/story/{key}#referrals", status_code=303)


def update_referral(request: Request) -> Response:
    """Move a referral on (state, note, manager, due date, answer link); a chair only in their own group."""
    ws = ctx_of(request).store.workspace
    user = request.state.user
    rid = path_id(request, "rid")
    ref = None if rid is None else ws.referral(rid)
    if rid is None or ref is None:
        return error(request, 404, "این ارجاع پیدا نشد.")
    if not can_change(user, ref.group):
        return error(request, 403, "رئیس کارگروه فقط ارجاع‌های کارگروه خود را به‌روز می‌کند.")
    changes: dict[str, object] = {}
    for name in ("state", "note", "manager", "answer_url"):
        if name in request.state.form:
            changes[name] = form_value(request, name)
    if "due_date" in request.state.form:
        due_text = form_value(request, "due_date")
        changes["due_date"] = date_param(due_text)
        if due_text and changes["due_date"] is None:
            return error(request, 400, "تاریخ مهلت را مانند ۱۴۰۵/۰۹/۲۰ بنویسید.")
    if changes.get("answer_url") and not safe_url(str(changes["answer_url"])):
        return error(request, 400, "پیوند پاسخ باید نشانی کامل http یا https باشد.")
    try:
        ws.update_referral(rid, who=user.name, **changes)
    except StoreError as exc:
        return error(request, 400, str(exc))
    back = form_value(request, "back")
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else
                            f"/story/{ref.cluster_key}#referrals", status_code=303)


routes = [
    Route("/story/{key}", view(story)),
    Route("/story/{key}/correct", view(correct_story), methods=["POST"]),
    Route("/story/{key}/refer", view(refer), methods=["POST"]),
    Route("/referral/{rid}", view(update_referral), methods=["POST"]),
]
