"""Render a digest or a brief: self-contained RTL HTML, clean Markdown, JSON and plain text.

HTML, Markdown and plain text come from one template set, `templates/<digest|brief>.<html|md|txt>.j2`
with shared macros per format, and all three take their Persian wording from `text_fa`. All scraped
text is escaped by its format's one escaper (Jinja2 autoescape in HTML, `md_escape` in Markdown,
`one_line` in text), applied to every interpolated value; links are emitted only for absolute http(s)
URLs, so a `javascript:` link comes out as plain, inert text.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digests import text_fa as ui
from digests.charts import GROUP_COLOURS, per_group_svg, tone_svg
from digests.records import Brief, Digest, safe_url
from mediawatch.records import DOMAIN_TITLES_FA, KIND_TITLES_FA, TONE_TITLES_FA
from mediawatch.text import md_escape, one_line
from mediawatch.timeutil import fa_digits, format_jalali_date, format_jalali_datetime

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _font_b64(name: str) -> str:
    return base64.b64encode((STATIC / "fonts" / name).read_bytes()).decode("ascii")


def _pct(value: float) -> str:
    return f"{fa_digits(round(value * 100))}٪"


def _signed(value: int) -> str:
    if value > 0:
        return f"+{fa_digits(value)}"
    if value < 0:
        return f"−{fa_digits(-value)}"
    return fa_digits(0)


def _num(value: float) -> str:
    return fa_digits(f"{value:.1f}").replace(".", "٫")


def _md_url(url: str) -> Markup:
    """An http(s) URL as a Markdown link destination (characters that would end or break it percent-encoded)."""
    url = safe_url(url)
    for ch, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(ch, code)
    return Markup(url)


def _inert(escape: Callable[[str], str]) -> Callable[[Any], Markup]:
    """The finalize of a Markdown or plain-text environment: every {{ value }} goes through `escape`.

    Those environments run with autoescape on only so that Jinja marks a macro's output as already
    escaped (Markup); markupsafe's HTML escaping never runs, because finalize hands it Markup.
    """

    def finalize(value: Any) -> Markup:
        return value if isinstance(value, Markup) else Markup(escape(str(value)))

    return finalize


# One environment per format, one escaper each: HTML autoescape, Markdown md_escape, text one_line.
_FINALIZE = {"html": None, "md": _inert(md_escape), "txt": _inert(one_line)}


@functools.cache
def _env(fmt: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # scraped text must never become markup (see _inert for Markdown and text)
        finalize=_FINALIZE[fmt],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=fmt != "html",
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        fa=fa_digits,
        jdate=format_jalali_date,
        jdt=format_jalali_datetime,
        pct=_pct,
        num=_num,
        signed=_signed,
        kind=lambda k: KIND_TITLES_FA.get(k, k),
        tone=lambda t: TONE_TITLES_FA.get(t, t),
        safe_url=safe_url,
        md_url=_md_url,
    )
    env.globals.update(
        ui=ui,
        group_title=lambda g: DOMAIN_TITLES_FA.get(g, g),
        short_title=lambda g: ui.SHORT_GROUP_TITLES.get(g, g),
        colour=lambda g: GROUP_COLOURS.get(g, "#666"),
    )
    return env


def _render(doc: Digest | Brief, fmt: str, **extra: Any) -> str:
    name = "brief" if isinstance(doc, Brief) else "digest"
    return _env(fmt).get_template(f"{name}.{fmt}.j2").render(doc=doc, **extra)


def render_html(doc: Digest | Brief) -> str:
    """One self-contained HTML file (font embedded, inline CSS and SVG, no JavaScript)."""
    return _render(
        doc,
        "html",
        font_regular=_font_b64("Vazirmatn-Regular.woff2"),
        font_bold=_font_b64("Vazirmatn-Bold.woff2"),
        group_chart=per_group_svg(doc.charts),
        tone_chart=tone_svg(doc.charts.tone),
    )


def render_markdown(doc: Digest | Brief) -> str:
    """The same content as clean Markdown (the Prefect artifact and the .md archive file)."""
    return _render(doc, "md")


def render_text(doc: Digest | Brief) -> str:
    """A plain-text version for the e-mail's text/plain part: no markup at all, links as bare http(s) URLs."""
    return _render(doc, "txt")


# --- JSON ----------------------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _plain_data(value: Any) -> Any:
    """Dataclasses, lists and dicts as plain JSON data; dates as ISO strings (faster than asdict + a JSON round trip)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _plain_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v) for v in value]
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def to_dict(doc: Digest | Brief) -> dict[str, Any]:
    """The document as plain data (dates as ISO strings), for JSON and the store."""
    data = _plain_data(doc)
    data["schema"] = f"mediawatch.{doc.kind}/1"  # bump when a field changes meaning
    data["title"] = doc.title
    if isinstance(doc, Digest):
        data["all_sources_down"] = doc.all_sources_down
        data["sources_note"] = doc.sources_note
        data["unanalysed_note"] = ui.unanalysed(doc.unanalysed) if doc.unanalysed else None
    return data


def render_json(doc: Digest | Brief) -> str:
    """The same content for machines: UTF-8 JSON, ISO dates in UTC, links only when http(s)."""
    return json.dumps(to_dict(doc), ensure_ascii=False, indent=2, default=_jsonable)
