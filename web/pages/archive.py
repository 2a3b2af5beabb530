"""Archive: the digests and briefs as they were delivered, by Jalali date."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from mediawatch.timeutil import jalali_iso
from web.pages.common import path_id
from web.render import ctx_of, error, render, view

MEDIA = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
         ".json": "application/json; charset=utf-8"}


def archive(request: Request) -> Response:
    rows = ctx_of(request).store.workspace.digest_list()
    for r in rows:
        r["files"] = {Path(p).suffix.lstrip("."): n for n, p in enumerate(r["paths"]) if Path(p).suffix in MEDIA}
    days = [(day, list(items)) for day, items in groupby(rows, key=lambda r: jalali_iso(r["period_end"]))]
    return render(request, "archive.html.j2", days=days)


def archived_file(request: Request) -> Response:
    """One recorded file of a digest, only from the paths the digest's record names (never a path from
    the request). An HTML digest is shown under a CSP sandbox: its inline CSS works, no script could."""
    from web.app import ARCHIVE_CSP

    did, n = path_id(request, "did"), path_id(request, "n")
    if did is None or n is None:
        return error(request, 404, "این پرونده پیدا نشد.")
    paths = ctx_of(request).store.workspace.digest_paths(did)
    if not 0 <= n < len(paths) or Path(paths[n]).suffix not in MEDIA or not Path(paths[n]).is_file():
        return error(request, 404, "این پرونده در بایگانی نیست (شاید جابه‌جا یا پاک شده است).")
    path = Path(paths[n])
    headers = {"content-security-policy": ARCHIVE_CSP} if path.suffix == ".html" else {}
    return FileResponse(path, media_type=MEDIA[path.suffix], headers=headers)


routes = [Route("/archive", view(archive)), Route("/archive/{did}/{n}", view(archived_file))]
