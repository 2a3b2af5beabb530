"""Sources: the last nights per outlet (found, new, failed, why), so a broken outlet is seen."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.render import ctx_of, render, view

# A week of nights: enough to tell a one-night hiccup from an outlet that has stopped working.
NIGHTS = 7


def sources(request: Request) -> Response:
    store = ctx_of(request).store
    nights, reports = store.workspace.nights(last=NIGHTS)
    known = store.sources()
    ids = sorted(set(known) | set(reports), key=lambda s: (known[s].name if s in known else s))
    rows = []
    for sid in ids:
        src = known.get(sid)
        cells = [reports.get(sid, {}).get(n["id"]) for n in nights]
        latest = next((c for c in cells if c is not None), None)
        why = ""
        if latest is not None:
            why = latest.fatal or ("؛ ".join(latest.errors[:2]) if latest.failed else "")
        rows.append({"id": sid, "name": src.name if src else sid, "kind": str(src.kind) if src else "",
                     "homepage": src.homepage if src else "", "enabled": src.enabled if src else False,
                     "cells": cells, "why": why,
                     "broken": latest is not None and (bool(latest.fatal) or latest.failed > 0)})
    return render(request, "sources.html.j2", nights=nights, rows=rows)


routes = [Route("/sources", view(sources))]
