"""Inline SVG charts (no JavaScript): articles per working group per day, and the tone mix.

Time runs right to left, as a Persian reader reads; labels use Persian digits and Jalali dates.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from digests.records import Charts
from mediawatch.records import DOMAIN_TITLES_FA, TONE_TITLES_FA
from mediawatch.timeutil import JALALI_MONTHS, fa_digits, jalali

# Okabe–Ito colours: told apart by colour-blind readers and in grey print.
GROUP_COLOURS: dict[str, str] = {
    "culture_social_tourism": "#0072B2",
    "civil_works_traffic": "#E69F00",
    "urban_planning_legal": "#009E73",
    "urban_services": "#CC79A7",
    "economic_budget_it": "#56B4E9",
}
TONE_COLOURS: dict[str, str] = {"positive": "#009E73", "neutral": "#9E9E9E", "negative": "#D55E00"}

_W, _H = 600, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 26, 44, 12, 34


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value`."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step * 4:
            return step * 4
    return ((value // 1000) + 1) * 1000


def per_group_svg(charts: Charts) -> str:
    """Stacked bars: one bar per day (oldest on the right), one colour per working group."""
    days = charts.days
    n = len(days)
    totals = [sum(series[d] for series in charts.per_group.values()) for d in range(n)]
    top = _nice_max(max(totals, default=0) or 1)
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    slot = plot_w / max(n, 1)
    bar = slot * 0.75
    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" width="100%" role="img" direction="ltr" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape("شمار خبرها در روز به تفکیک کارگروه")}">'
    ]
    for k in range(5):
        value = top * k // 4
        y = _TOP + plot_h - plot_h * k / 4
        out.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_W - 4}" y="{y + 4:.1f}" font-size="15" text-anchor="end" fill="#555">'
            f"{fa_digits(value)}</text>"
        )
    for d in range(n):
        # day 0 (oldest) sits at the right edge; the newest day at the left.
        x = _LEFT + plot_w - (d + 1) * slot + (slot - bar) / 2
        y = _TOP + plot_h
        for group, series in charts.per_group.items():
            v = series[d]
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            title = f"{DOMAIN_TITLES_FA.get(group, group)}: {fa_digits(v)}"
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{GROUP_COLOURS.get(group, "#666")}"><title>{escape(title)}</title></rect>'
            )
        if d % 5 == (n - 1) % 5:
            j = jalali(days[d])
            label = f"{fa_digits(j.day)} {JALALI_MONTHS[j.month - 1]}"
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{_H - _BOTTOM + 18}" font-size="15" '
                f'text-anchor="middle" direction="rtl" fill="#333">{escape(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def tone_svg(tone: dict[str, int]) -> str:
    """One horizontal bar split by tone (positive at the right), with each share in Persian digits."""
    total = sum(tone.values())
    w, h = 600, 56
    out = [
        f'<svg class="chart tone" viewBox="0 0 {w} {h}" width="100%" role="img" direction="ltr" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape("لحن پوشش خبری")}">'
    ]
    if not total:
        out.append(f'<rect x="0" y="8" width="{w}" height="30" fill="#eee"/>')
        out.append(
            f'<text x="{w / 2}" y="28" font-size="16" text-anchor="middle" direction="rtl" fill="#555">'
            f"{escape('خبری با لحن مشخص نبود')}</text>"
        )
    else:
        x = float(w)
        for key in ("positive", "neutral", "negative"):
            v = tone.get(key, 0)
            if not v:
                continue
            bw = w * v / total
            x -= bw
            # The closing RLM keeps «٪» on the digits' left, as in the HTML text, whatever the SVG's direction.
            share = f"{TONE_TITLES_FA[key]} {fa_digits(round(100 * v / total))}٪\u200f"
            out.append(
                f'<rect x="{x:.1f}" y="8" width="{bw:.1f}" height="30" fill="{TONE_COLOURS[key]}">'
                f"<title>{escape(share)}</title></rect>"
            )
            if bw > 70:
                out.append(
                    f'<text x="{x + bw / 2:.1f}" y="28" font-size="16" text-anchor="middle" '
                    f'direction="rtl" fill="#fff">{escape(share)}</text>'
                )
    out.append("</svg>")
    return "".join(out)
