"""Templates and the page plumbing every route shares: the Jinja environment (the workspace's templates
first, then the digests'), the session guard with its CSRF check, and error pages."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from digests import text_fa
from digests.records import safe_url
from mediawatch.records import DOMAIN_TITLES_FA, KIND_TITLES_FA, TONE_TITLES_FA, WORKING_GROUPS
from mediawatch.settings import Settings
from mediawatch.timeutil import fa_digits, format_jalali_date, format_jalali_datetime, jalali_iso
from storage import Store
from web.auth import Auth, can_change, csrf_ok

TEMPLATES = Path(__file__).parent / "templates"
DIGEST_TEMPLATES = Path(__file__).resolve().parent.parent / "digests" / "templates"
GROUPS = tuple(str(g) for g in WORKING_GROUPS)
ROLE_TITLES_FA = {"admin": "مدیر سامانه", "secretariat": "دبیرخانه", "chair": "رئیس کارگروه", "viewer": "بیننده"}
STATE_TITLES_FA = {"new": "تازه", "referred": "ارجاع‌شده", "answered": "پاسخ‌داده‌شده", "closed": "بسته‌شده"}
FIELD_TITLES_FA = {"municipal": "مربوط به شهرداری", "domain": "کارگروه", "secondary": "کارگروه دوم",
                   "rasht": "مربوط به رشت", "concern": "نگرانی شهروندان", "tone": "لحن"}


class PageCache:
    """Pages built from many rows (Today) are kept for a short while and rebuilt when the store gains an
    article or a person changes something here (`changed()`); another process re-analysing without adding
    articles shows after CACHE_S at most."""

    # Thirty seconds: the secretariat reloading Today sees its own corrections at once (changed()), and
    # 20 people opening it at 07:00 cost one build, not 20.
    CACHE_S = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._items: dict[Any, tuple[float, Any]] = {}
        self._generation = 0

    def changed(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()

    def _fresh(self, key: Any) -> tuple[bool, Any]:
        with self._lock:
            hit = self._items.get(key)
        return (True, hit[1]) if hit is not None and time.monotonic() - hit[0] < self.CACHE_S else (False, None)

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        """The cached value for `key`, or `build()` — once, while concurrent requests for it wait."""
        key = (self._generation, key)
        found, value = self._fresh(key)
        if found:
            return value
        with self._building:
            found, value = self._fresh(key)
            if found:
                return value
            value = build()
        with self._lock:
            if key[0] == self._generation:
                self._items = {k: v for k, v in self._items.items() if time.monotonic() - v[0] < self.CACHE_S}
                self._items[key] = (time.monotonic(), value)
        return value


@dataclass(frozen=True, slots=True)
class Ctx:
    """What every route needs: the store, the settings, session handling, the templates, the page cache."""

    store: Store
    settings: Settings
    auth: Auth
    env: jinja2.Environment
    cache: PageCache = field(default_factory=PageCache)


def _value_fa(value: Any) -> str:
    if value is True:
        return "بله"
    if value is False:
        return "خیر"
    if value is None:
        return "—"
    s = str(value)
    return DOMAIN_TITLES_FA.get(s) or TONE_TITLES_FA.get(s) or STATE_TITLES_FA.get(s) or s


@functools.cache
def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(TEMPLATES), jinja2.FileSystemLoader(DIGEST_TEMPLATES)]),
        autoescape=True,  # scraped text and what people type must never become markup
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    short = lambda g: text_fa.SHORT_GROUP_TITLES.get(g, DOMAIN_TITLES_FA.get(g, g)) if g else "—"  # noqa: E731
    env.filters.update(
        fa=fa_digits,
        jdate=format_jalali_date,
        jdt=format_jalali_datetime,
        jiso=jalali_iso,
        kind=lambda k: KIND_TITLES_FA.get(k, k),
        tone=lambda t: TONE_TITLES_FA.get(t, "—") if t else "—",
        group=lambda g: DOMAIN_TITLES_FA.get(g, g) if g else "—",
        short=short,
        state=lambda s: STATE_TITLES_FA.get(s, s),
        role=lambda r: ROLE_TITLES_FA.get(r, r),
        field=lambda f: FIELD_TITLES_FA.get(f, f),
        value=_value_fa,
        safe_url=safe_url,
        q=lambda s: quote(str(s), safe=""),
        pct=lambda v: f"{fa_digits(round(v * 100))}٪",
    )
    env.globals.update(
        ui=text_fa,  # the digests' Persian wording, shared
        GROUPS=GROUPS,
        ALL_DOMAINS=tuple(DOMAIN_TITLES_FA),
        KINDS=tuple(KIND_TITLES_FA),
        TONES=tuple(TONE_TITLES_FA),
        STATES=tuple(STATE_TITLES_FA),
        short_title=short,
        can_change=can_change,
    )
    return env


def ctx_of(request: Request) -> Ctx:
    return request.app.state.mw


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    ctx = ctx_of(request)
    user = getattr(request.state, "user", None)
    html = ctx.env.get_template(template).render(
        request=request, user=user, csrf=getattr(request.state, "csrf", ""), path=request.url.path, **values)
    return HTMLResponse(html, status_code=status)


def error(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html.j2", status=status, message=message, code=status)


def view(handler: Callable[[Request], Response]) -> Callable[[Request], Any]:
    """A page that needs a session: no session → the login page; a POST must carry the session's CSRF
    token (403 otherwise) and is refused (403) to viewers before the handler runs."""

    async def endpoint(request: Request) -> Response:
        ctx = ctx_of(request)
        sess = await run_in_threadpool(ctx.auth.session, request)
        if sess is None:
            if request.method != "GET":
                return RedirectResponse("/login", status_code=303)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        request.state.user, request.state.csrf = sess.user, sess.csrf
        if request.method == "POST":
            form = await request.form()
            token = form.get("csrf")
            if not csrf_ok(sess.csrf, token if isinstance(token, str) else None):
                return error(request, 403, "این فرم منقضی یا نامعتبر است (نشانهٔ امنیتی CSRF). صفحه را دوباره باز کنید.")
            if sess.user.role == "viewer":
                return error(request, 403, "نقش «بیننده» فقط می‌خواند و چیزی را تغییر نمی‌دهد.")
            request.state.form = form
        return await run_in_threadpool(handler, request)

    return endpoint


def form_value(request: Request, name: str) -> str:
    value = request.state.form.get(name, "")
    return value.strip() if isinstance(value, str) else ""
