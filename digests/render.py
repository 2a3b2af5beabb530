"""Render a digest or a brief: self-contained RTL HTML, clean Markdown, JSON and plain text.

All scraped text is escaped (Jinja2 autoescape in HTML, backslash escapes in Markdown); links are
emitted only for absolute http(s) URLs, so a `javascript:` link comes out as plain, inert text.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2

from digests.charts import GROUP_COLOURS, per_group_svg, tone_svg
from digests.select import UNFINISHED_RUN_FA, ArticleRef, Brief, Digest, Story, safe_url, unanalysed_fa
from mediawatch.records import DOMAIN_TITLES_FA, KIND_TITLES_FA, TONE_TITLES_FA
from mediawatch.text import md_escape, one_line
from mediawatch.timeutil import fa_digits, format_jalali_date, format_jalali_datetime

STATIC = Path(__file__).parent / "static"
# Short names for the table of contents on a phone.
SHORT_TITLES_FA = {
    "culture_social_tourism": "فرهنگی و اجتماعی",
    "civil_works_traffic": "عمرانی و ترافیکی",
    "urban_planning_legal": "شهرسازی و حقوقی",
    "urban_services": "خدمات شهری",
    "economic_budget_it": "اقتصادی",
}
NO_RUN_FA = "در این بازه هیچ اجرای جمع‌آوری خبر ثبت نشد؛ این گزارش خالی یا ناقص است و نشانهٔ نبودِ خبر نیست."
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


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template is HTML; scraped text must never become markup
        trim_blocks=True,
        lstrip_blocks=True,
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
    )
    env.globals.update(
        group_title=lambda g: DOMAIN_TITLES_FA.get(g, g),
        short_title=lambda g: SHORT_TITLES_FA.get(g, g),
        colour=lambda g: GROUP_COLOURS.get(g, "#666"),
        unanalysed_fa=unanalysed_fa,
    )
    return env


def render_html(doc: Digest | Brief) -> str:
    """One self-contained HTML file (font embedded, inline CSS and SVG, no JavaScript)."""
    template = "brief.html.j2" if isinstance(doc, Brief) else "digest.html.j2"
    return (
        _env()
        .get_template(template)
        .render(
            doc=doc,
            font_regular=_font_b64("Vazirmatn-Regular.woff2"),
            font_bold=_font_b64("Vazirmatn-Bold.woff2"),
            group_chart=per_group_svg(doc.charts),
            tone_chart=tone_svg(doc.charts.tone),
        )
    )


# --- Markdown ---------------------------------------------------------------------------------------
def _md_link(title: str, url: str) -> str:
    url = safe_url(url)
    if not url:
        return md_escape(title)
    # Characters that would end or break a Markdown link destination are percent-encoded.
    for ch, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(ch, code)
    return f"[{md_escape(title)}]({url})"


LATE_LABEL = "دیرتر رسیده"  # an article published before the period, collected after the last digest


def _md_late(a: ArticleRef) -> str:
    return f" *({LATE_LABEL})*" if a.late else ""


def _text_late(a: ArticleRef) -> str:
    return f" ({LATE_LABEL})" if a.late else ""


def _md_story(s: Story, rank: int | None) -> list[str]:
    head = f"{fa_digits(rank)}. " if rank else ""
    status = "تازه" if s.new else "ادامه‌دار"
    lines = [
        f"#### {head}{_md_link(s.headline, s.url)}",
        "",
        f"{status} · {DOMAIN_TITLES_FA.get(s.domain, s.domain)} · {fa_digits(s.article_count)} خبر · "
        f"نخستین بار: {s.first_seen_fa}",
        "",
    ]
    if s.key_sentence:
        lines += [f"> {md_escape(s.key_sentence)}", ""]
    for a in s.articles:
        lines.append(f"- {md_escape(a.outlet)}: {_md_link(a.title, a.url)}{_md_late(a)} — {a.date_fa}")
    lines += ["", f"*چرا این رتبه: {md_escape(s.why)}*", ""]
    return lines


def _md_figures(doc: Digest | Brief) -> list[str]:
    f = doc.figures
    lines = [
        f"- خبر: {fa_digits(f.articles)}",
        f"- رسانه: {fa_digits(f.outlets)}",
        f"- سهم خبرهای رشت: {_pct(f.rasht_share)} ({fa_digits(f.rasht)} خبر)",
        f"- خبر دربارهٔ نگرانی شهروندان: {fa_digits(f.concerns)}",
    ]
    if f.articles:
        tone = "، ".join(f"{TONE_TITLES_FA[k]} {fa_digits(v)}" for k, v in f.tone.items())
        lines.append(f"- لحن: {tone}")
    return [*lines, ""]


def render_markdown(doc: Digest | Brief) -> str:
    """The same content as clean Markdown (the Prefect artifact and the .md archive file)."""
    out = [
        f"# {doc.title}",
        "",
        f"بازه: از {format_jalali_datetime(doc.period_start)} تا {format_jalali_datetime(doc.period_end)}",
        "",
    ]
    if isinstance(doc, Digest):
        if doc.all_sources_down:
            out += [
                "**هیچ‌یک از منابع خبری در این بازه در دسترس نبودند؛ نبودِ خبر به معنای نبودِ رویداد نیست.**",
                "",
            ]
        elif doc.collection_ran is False:
            out += [f"**{NO_RUN_FA}**", ""]
        elif doc.collection_unfinished:
            out += [f"**{md_escape(UNFINISHED_RUN_FA)}**", ""]
        elif doc.figures.articles == 0:
            out += ["**در این بازه هیچ خبری ثبت نشد.**", ""]
        if doc.unanalysed:
            out += [f"**{md_escape(unanalysed_fa(doc.unanalysed))}**", ""]
        out += ["## خلاصهٔ ارقام", "", *_md_figures(doc)]
        if doc.figures.articles:
            out += ["| کارگروه | خبر |", "| --- | ---: |"]
            out += [
                f"| {DOMAIN_TITLES_FA[g]} | {fa_digits(n)} |" for g, n in doc.figures.by_group.items() if n
            ]
            out.append("")
        out += ["## مهم‌ترین نگرانی‌های شهروندان", ""]
        for n, s in enumerate(doc.top_concerns, 1):
            out += _md_story(s, n)
        if not doc.top_concerns:
            out += ["نگرانی تازه‌ای از شهروندان در خبرها دیده نشد.", ""]
        out += ["## به تفکیک کارگروه", ""]
        for g in doc.groups:
            out += [f"### {g.title} ({fa_digits(g.article_count)} خبر)", ""]
            for n, s in enumerate(g.concerns, 1):
                out += _md_story(s, n)
            if not g.concerns:
                out += ["نگرانی‌ای در این حوزه ثبت نشد.", ""]
            if g.concerns_total > len(g.concerns):
                out += [
                    f"و {fa_digits(g.concerns_total - len(g.concerns))} نگرانی دیگر، در گزارش این کارگروه.",
                    "",
                ]
            if g.pr:
                out += ["**پوشش خبری شهرداری:**", ""]
                out += [f"- {_md_link(a.title, a.url)}{_md_late(a)} — {md_escape(a.outlet)}، {a.date_fa}" for a in g.pr]
                out.append("")
        out += ["## برای دبیرخانه — مدیریت شهری", ""]
        for s in doc.management:
            out += _md_story(s, None)
        if not doc.management:
            out += ["خبری دربارهٔ مدیریت شهری نبود.", ""]
        out += ["## منابعی که دیشب در دسترس نبودند", ""]
        out += [f"- **{md_escape(f.name)}**: {md_escape(f.reason)}" for f in doc.failures]
        if not doc.failures:
            out.append(doc.sources_note)
        out.append("")
    else:
        t = doc.trend
        if doc.figures.articles == 0:
            out += ["**در این بازه خبری در حوزهٔ این کارگروه ثبت نشد.**", ""]
        out += ["## خلاصهٔ ارقام", "", *_md_figures(doc)]
        out += [
            "| | این دوره | دورهٔ پیش | تغییر |",
            "| --- | ---: | ---: | ---: |",
            f"| خبرها | {fa_digits(t.articles)} | {fa_digits(t.previous_articles)} | "
            f"{_signed(t.articles - t.previous_articles)} |",
            f"| نگرانی‌ها | {fa_digits(t.concerns)} | {fa_digits(t.previous_concerns)} | "
            f"{_signed(t.concerns - t.previous_concerns)} |",
            f"| لحن منفی | {fa_digits(t.negative)} | {fa_digits(t.previous_negative)} | "
            f"{_signed(t.negative - t.previous_negative)} |",
            "",
            "## نگرانی‌های شهروندان",
            "",
        ]
        for n, s in enumerate(doc.concerns, 1):
            out += _md_story(s, n)
        if not doc.concerns:
            out += ["نگرانی‌ای در این بازه ثبت نشد.", ""]
        out += ["## موضوع‌های تکراری", ""]
        for s in doc.recurring:
            out += _md_story(s, None)
        if not doc.recurring:
            out += ["موضوع ادامه‌داری نبود.", ""]
        out += ["## فهرست همهٔ خبرها", ""]
        out += [f"- {_md_link(a.title, a.url)}{_md_late(a)} — {md_escape(a.outlet)}، {a.date_fa}" for a in doc.articles]
        if not doc.articles:
            out.append("خبری نبود.")
        out.append("")
    return "\n".join(out)


# --- plain text (the e-mail alternative) -----------------------------------------------------------
def _text_story(s: Story, rank: int | None) -> list[str]:
    head = f"{fa_digits(rank)}. " if rank else "- "
    lines = [
        f"{head}{one_line(s.headline)}",
        f"   {'تازه' if s.new else 'ادامه‌دار'} · {fa_digits(s.article_count)} خبر",
    ]
    if s.key_sentence:
        lines.append(f"   «{one_line(s.key_sentence)}»")
    for a in s.articles:
        lines.append(f"   * {one_line(a.outlet)}: {one_line(a.title)}{_text_late(a)}")
        if a.url:
            lines.append(f"     {a.url}")
    return [*lines, ""]


def render_text(doc: Digest | Brief) -> str:
    """A plain-text version for the e-mail's text/plain part: no markup at all, links as bare http(s) URLs."""
    f = doc.figures
    out = [
        doc.title,
        f"بازه: از {format_jalali_datetime(doc.period_start)} تا {format_jalali_datetime(doc.period_end)}",
        "",
        f"خبر: {fa_digits(f.articles)} · رسانه: {fa_digits(f.outlets)} · سهم رشت: {_pct(f.rasht_share)}",
        "",
    ]
    if isinstance(doc, Digest):
        if doc.all_sources_down:
            out += ["هیچ‌یک از منابع خبری در این بازه در دسترس نبودند.", ""]
        elif doc.collection_ran is False:
            out += [NO_RUN_FA, ""]
        elif doc.collection_unfinished:
            out += [UNFINISHED_RUN_FA, ""]
        elif f.articles == 0:
            out += ["در این بازه هیچ خبری ثبت نشد.", ""]
        if doc.unanalysed:
            out += [unanalysed_fa(doc.unanalysed), ""]
        out += ["مهم‌ترین نگرانی‌های شهروندان", ""]
        for n, s in enumerate(doc.top_concerns, 1):
            out += _text_story(s, n)
        for g in doc.groups:
            if g.concerns:
                out += [g.title, ""]
                for n, s in enumerate(g.concerns, 1):
                    out += _text_story(s, n)
        if doc.management:
            out += ["برای دبیرخانه — مدیریت شهری", ""]
            for s in doc.management:
                out += _text_story(s, None)
        out += ["منابعی که دیشب در دسترس نبودند", ""]
        out += [f"- {one_line(x.name)}: {one_line(x.reason)}" for x in doc.failures] or [doc.sources_note]
    else:
        if f.articles == 0:
            out += ["در این بازه خبری در حوزهٔ این کارگروه ثبت نشد.", ""]
        t = doc.trend
        out += [
            f"روند: {fa_digits(t.articles)} خبر در برابر {fa_digits(t.previous_articles)} در دورهٔ پیش",
            "",
        ]
        out += ["نگرانی‌های شهروندان", ""]
        for n, s in enumerate(doc.concerns, 1):
            out += _text_story(s, n)
        out += ["فهرست همهٔ خبرها", ""]
        for a in doc.articles:
            out.append(f"- {one_line(a.title)}{_text_late(a)} — {one_line(a.outlet)}، {a.date_fa}")
            if a.url:
                out.append(f"  {a.url}")
    return "\n".join(out) + "\n"


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
        data["unanalysed_note"] = unanalysed_fa(doc.unanalysed) if doc.unanalysed else None
    return data


def render_json(doc: Digest | Brief) -> str:
    """The same content for machines: UTF-8 JSON, ISO dates in UTC, links only when http(s)."""
    return json.dumps(to_dict(doc), ensure_ascii=False, indent=2, default=_jsonable)
