"""The monthly accountability report: per working group, concerns raised, referred, answered, the median
days to an answer and what is still open — as HTML (self-contained, like the digests), Markdown or JSON."""

from __future__ import annotations

import base64
import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import jdatetime

from mediawatch.records import DOMAIN_TITLES_FA
from mediawatch.text import md_escape
from mediawatch.timeutil import JALALI_MONTHS, fa_digits, jalali, latin_digits, tehran_midnight, utcnow
from storage import Store
from web.pages.common import overlay
from web.render import GROUPS, make_env

FONTS = Path(__file__).resolve().parent.parent / "digests" / "static" / "fonts"


@dataclass(slots=True)
class GroupRow:
    group: str
    title: str
    raised: int = 0  # concern stories first seen in the month
    referred: int = 0  # referrals sent in the month
    answered: int = 0  # referrals answered in the month
    median_days: float | None = None  # referral → answer, for those answered in the month
    still_open: int = 0  # referred by the month's end and neither answered nor closed by then


@dataclass(slots=True)
class MonthlyReport:
    year: int
    month: int
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    rows: list[GroupRow] = field(default_factory=list)
    kind: str = "monthly_report"

    @property
    def label(self) -> str:
        return f"{JALALI_MONTHS[self.month - 1]} {fa_digits(self.year)}"

    @property
    def title(self) -> str:
        return f"گزارش ماهانهٔ پاسخگویی کمیتهٔ رسانه — {self.label}"

    @property
    def total(self) -> GroupRow:
        days = [r.median_days for r in self.rows if r.median_days is not None]
        return GroupRow("total", "همه", sum(r.raised for r in self.rows), sum(r.referred for r in self.rows),
                        sum(r.answered for r in self.rows), statistics.median(days) if days else None,
                        sum(r.still_open for r in self.rows))


def parse_month(text: str | None, today: date | None = None) -> tuple[int, int]:
    """«1405-09» (either digit set, - or /) → (1405, 9); None → the current Jalali month."""
    if not text:
        j = jalali(today or date.today())
        return j.year, j.month
    parts = latin_digits(text.strip()).replace("/", "-").split("-")
    try:
        year, month = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        raise ValueError(f"«{text}» is not a Jalali month: write it like 1405-09") from None
    if len(parts) != 2 or not 1 <= month <= 12 or not 1300 <= year <= 1500:
        raise ValueError(f"«{text}» is not a Jalali month: write it like 1405-09")
    return year, month


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    nxt = (year + 1, 1) if month == 12 else (year, month + 1)
    return (tehran_midnight(jdatetime.date(year, month, 1).togregorian()),
            tehran_midnight(jdatetime.date(*nxt, 1).togregorian()))


def monthly_report(store: Store, year: int, month: int) -> MonthlyReport:
    start, end = month_bounds(year, month)
    report = MonthlyReport(year, month, start, end, utcnow())
    items = overlay(store, store.digest_items(start, end))
    raised: dict[str, set[str]] = {g: set() for g in GROUPS}
    for i in items:
        if i.concern and str(i.domain) in raised:
            raised[str(i.domain)].add(i.cluster_key or f"a{i.article_id}")
    refs = store.workspace.referrals(created_before=end)
    for g in GROUPS:
        mine = [r for r in refs if r.group == g]
        answered = [r for r in mine if r.answered_at and start <= r.answered_at < end]
        days = [(r.answered_at - (r.referred_at or r.created_at)).total_seconds() / 86400 for r in answered
                if r.answered_at]
        report.rows.append(GroupRow(
            group=g, title=DOMAIN_TITLES_FA[g], raised=len(raised[g]),
            referred=sum(1 for r in mine if r.referred_at and start <= r.referred_at < end),
            answered=len(answered),
            median_days=round(statistics.median(days), 1) if days else None,
            still_open=sum(1 for r in mine if r.referred_at and r.referred_at < end
                           and not (r.answered_at and r.answered_at < end) and not (r.closed_at and r.closed_at < end)),
        ))
    return report


def days_fa(value: float | None) -> str:
    return "—" if value is None else fa_digits(f"{value:.1f}").replace(".", "٫")


def to_json(report: MonthlyReport) -> str:
    data = asdict(report)
    data.update(month=f"{report.year:04d}-{report.month:02d}", title=report.title, total=asdict(report.total))
    for k in ("period_start", "period_end", "generated_at"):
        data[k] = data[k].isoformat()
    return json.dumps(data, ensure_ascii=False, indent=2)


def to_markdown(report: MonthlyReport) -> str:
    lines = [f"# {md_escape(report.title)}", "",
             "| کارگروه | نگرانی‌ها | ارجاع‌شده | پاسخ‌داده‌شده | میانهٔ روز تا پاسخ | هنوز باز |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in [*report.rows, report.total]:
        lines.append(f"| {md_escape(r.title)} | {fa_digits(r.raised)} | {fa_digits(r.referred)} | "
                     f"{fa_digits(r.answered)} | {days_fa(r.median_days)} | {fa_digits(r.still_open)} |")
    return "\n".join(lines) + "\n"


def to_html(report: MonthlyReport) -> str:
    """A self-contained page on the digests' base template (inline CSS, embedded Vazirmatn)."""
    def font(name: str) -> str:
        return base64.b64encode((FONTS / name).read_bytes()).decode("ascii")

    return make_env().get_template("report_doc.html.j2").render(
        doc=report, days_fa=days_fa, font_regular=font("Vazirmatn-Regular.woff2"),
        font_bold=font("Vazirmatn-Bold.woff2"))


FORMATS = {"html": to_html, "md": to_markdown, "json": to_json}
