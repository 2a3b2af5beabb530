"""`/login` (a form with username and password, throttled per account and per address) and `/logout`."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth import csrf_ok, verify_password
from web.render import ctx_of, error, render

THROTTLED_FA = "ورودهای ناموفق زیادی پشت سر هم ثبت شد. چند دقیقه (تا ۱۵ دقیقه) صبر کنید و دوباره بکوشید."


def _next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme) may be the page shown after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _form(request: Request, status: int = 200, message: str = "", username: str = "") -> Response:
    auth = ctx_of(request).auth
    token, cookie = auth.login_token(request)
    response = render(request, "login.html.j2", status=status, login_csrf=token, message=message,
                      username=username, next=_next(request.query_params.get("next")))
    if cookie:
        auth.set_login_cookie(response, request, cookie)
    return response


async def login_page(request: Request) -> Response:
    return _form(request)


async def login_post(request: Request) -> Response:
    ctx = ctx_of(request)
    auth = ctx.auth
    form = await request.form()
    if not auth.login_token_ok(request, str(form.get("csrf", ""))):
        return error(request, 403, "فرم ورود منقضی یا نامعتبر است. صفحهٔ ورود را دوباره باز کنید.")
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    address = auth.address(request)
    ws = ctx.store.workspace
    # Recorded as failed before the check, so that parallel guesses (argon2 takes a while) see each other.
    attempt = await run_in_threadpool(ws.record_login, username, address, False)
    if await run_in_threadpool(auth.throttled, username, address):
        await run_in_threadpool(ws.forget_login, attempt)
        return _form(request, 429, THROTTLED_FA, username)
    user = await run_in_threadpool(ws.user, username)
    ok = await run_in_threadpool(verify_password, user, password)
    if not ok or user is None:
        return _form(request, 401, "نام کاربری یا گذرواژه درست نیست.", username)
    await run_in_threadpool(ws.login_succeeded, attempt)
    response = RedirectResponse(_next(str(form.get("next", ""))), status_code=303)
    await run_in_threadpool(auth.start, response, request, user)
    return response


async def logout(request: Request) -> Response:
    ctx = ctx_of(request)
    sess = await run_in_threadpool(ctx.auth.session, request)
    form = await request.form()
    if sess is not None and not csrf_ok(sess.csrf, str(form.get("csrf", ""))):
        return error(request, 403, "فرم خروج نامعتبر است. صفحه را دوباره باز کنید.")
    response = RedirectResponse("/login", status_code=303)
    await run_in_threadpool(ctx.auth.end, response, request)
    return response
