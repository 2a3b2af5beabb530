"""The workspace application: `create_app(store, settings)` → a Starlette app (server-rendered, no JavaScript)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediawatch.settings import Settings, get_settings
from storage import Store
from web import login
from web.auth import Auth
from web.pages import archive, article, group, report, review, search, sources, story, today
from web.render import Ctx, error, make_env

STATIC = Path(__file__).parent / "static"
FONTS = Path(__file__).resolve().parent.parent / "digests" / "static" / "fonts"
# No inline script or style anywhere; SVG charts are inline markup (allowed), fonts and CSS are served here.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
# An archived digest file is self-contained (inline CSS, embedded font, no script): shown as it was made,
# in a sandbox where no script could ever run.
ARCHIVE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; "
               "frame-ancestors 'none'; sandbox")


class SecurityHeaders:
    """Adds the security headers to every response; private pages are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                have = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"no-referrer",
                    b"cache-control": b"public, max-age=86400" if static else b"no-store",
                }
                headers += [(k, v) for k, v in extra.items() if k not in have]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WorkspaceApp(Starlette):
    """Starlette with SecurityHeaders outside everything: `add_middleware` would put it inside Starlette's
    ServerErrorMiddleware, so a 500 went out without the headers."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(request, 404, "این صفحه پیدا نشد.")


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: the workspace's error page, never the exception (the server log has it)."""
    try:
        return error(request, 500, "خطای پیش‌بینی‌نشده‌ای رخ داد. دوباره بکوشید؛ اگر تکرار شد به مدیر سامانه خبر دهید.")
    except Exception:  # the page itself cannot be made (templates, database): plain text
        return PlainTextResponse("Internal Server Error", status_code=500)


def from_environment() -> Starlette:
    """The app on MEDIAWATCH_DB_URL (uvicorn's factory for `mediawatch web --workers N`: one store per process)."""
    from storage import open_store

    settings = get_settings()
    return create_app(open_store(settings=settings), settings)


def create_app(store: Store, settings: Settings | None = None) -> Starlette:
    """The workspace on `store` (the caller keeps and closes it)."""
    settings = settings or get_settings()
    routes = [
        Route("/login", login.login_page, methods=["GET"]),
        Route("/login", login.login_post, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        *today.routes, *story.routes, *article.routes, *search.routes, *group.routes, *sources.routes,
        *archive.routes, *review.routes, *report.routes,
        Mount("/static/fonts", StaticFiles(directory=FONTS), name="fonts"),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = WorkspaceApp(routes=routes, exception_handlers={404: _not_found, 500: _server_error})
    app.state.mw = Ctx(store=store, settings=settings, auth=Auth.make(store.workspace, settings), env=make_env())
    return app
