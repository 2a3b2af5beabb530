"""The Persian wording of the digest and the briefs, written once for every format.

The HTML, Markdown and plain-text templates read these as `ui.NAME` (render.py passes this module in as
the template global `ui`); records.py and ranking.py use the notes and titles that JSON carries too.
Change a sentence here and every format says the new one. Wording that only one format needs (the HTML
page's table of contents, column heads and footer) stays in that format's template.
"""

from __future__ import annotations

from datetime import datetime

from mediawatch.timeutil import fa_digits, format_jalali_date, format_jalali_datetime

# --- titles ------------------------------------------------------------------------------------------
UNTITLED = "(بی‌عنوان)"  # an article or story whose page had no headline


def digest_title(period_end: datetime) -> str:
    return f"گزارش صبحگاهی رصد رسانه‌ها — {format_jalali_date(period_end, weekday=True)}"


def brief_title(group_title: str, period_end: datetime, *, weekly: bool) -> str:
    span = "هفتگی" if weekly else "روزانه"
    return f"گزارش {span} {group_title} — {format_jalali_date(period_end, weekday=True)}"


def period(start: datetime, end: datetime) -> str:
    """«بازه: از … تا …» under every title."""
    return f"بازه: از {format_jalali_datetime(start)} تا {format_jalali_datetime(end)}"


# --- notices: an empty or partial digest is never mistaken for a quiet night ---------------------------
ALL_SOURCES_DOWN = (
    "هیچ‌یک از منابع خبری در این بازه در دسترس نبودند؛ نبودِ خبر در این گزارش به معنای نبودِ رویداد نیست."
)
NO_RUN = "در این بازه هیچ اجرای جمع‌آوری خبر ثبت نشد؛ این گزارش خالی یا ناقص است و نشانهٔ نبودِ خبر نیست."
UNFINISHED_RUN = (
    "اجرای جمع‌آوری خبر دیشب به پایان نرسید (متوقف شد یا هنوز در حال اجراست)؛ "
    "خبرها و فهرست منابع ناموفق این گزارش ممکن است ناقص باشد."
)
NO_ARTICLES = "در این بازه هیچ خبری ثبت نشد."
BRIEF_NO_ARTICLES = "در این بازه خبری در حوزهٔ این کارگروه ثبت نشد."
# What the failed-sources section says when it lists nobody (never "all available" when unsure).
SOURCES_NO_RUN = "در این بازه هیچ اجرای جمع‌آوری خبر ثبت نشد."
SOURCES_ALL_UP = "همهٔ منابع در دسترس بودند."


SPARSE_FALLBACK = (
    "تحلیل خبرهای این بازه بدون مدل معنایی (رمزگذار جمله) انجام شد و دقت دسته‌بندی و تشخیص دغدغه‌ها "
    "کمتر از معمول است؛ مسئول فنی گزارش اجرای شبانه را ببیند."
)


def unanalysed(n: int) -> str:
    """The notice for articles collected in the period that the digest could not include."""
    return (f"{fa_digits(n)} خبرِ جمع‌آوری‌شده در این بازه هنوز تحلیل نشده و در این گزارش نیامده است؛ "
            "مسئول فنی با فرمان «mediawatch process» آن‌ها را تحلیل کند و گزارش را دوباره بسازد.")


# --- figures -----------------------------------------------------------------------------------------
FIGURES = "خلاصهٔ ارقام"
FIG_ARTICLES = "خبر"
FIG_OUTLETS = "رسانه"
FIG_RASHT = "سهم خبرهای رشت"
FIG_CONCERNS = "خبر دربارهٔ نگرانی شهروندان"
FIG_TONE = "لحن"
GROUP = "کارگروه"
OUTLET_KIND = "نوع رسانه"
TONE_CHART = "لحن پوشش خبری"
TONE_CHART_DIGEST = "لحن پوشش خبری دربارهٔ شهرداری"


def articles(n: int) -> str:
    """«۵ خبر»."""
    return f"{fa_digits(n)} خبر"


# --- sections ----------------------------------------------------------------------------------------
TOP_CONCERNS = "مهم‌ترین نگرانی‌های شهروندان"
NO_TOP_CONCERNS = "در این بازه نگرانی تازه‌ای از شهروندان در خبرها دیده نشد."
BY_GROUP = "به تفکیک کارگروه"
CONCERNS = "نگرانی‌های شهروندان"
NO_GROUP_CONCERNS = "نگرانی‌ای در این حوزه ثبت نشد."
PR = "پوشش خبری شهرداری"
NO_PR = "خبری از پایگاه‌های شهرداری در این حوزه نبود."
MANAGEMENT = "برای دبیرخانه — مدیریت شهری"
NO_MANAGEMENT = "خبری دربارهٔ مدیریت شهری نبود."
CHART_DIGEST = "خبرها در ۳۰ روز گذشته به تفکیک کارگروه"
CHART_BRIEF = "خبرهای این کارگروه در ۳۰ روز گذشته"
FAILURES = "منابعی که دیشب در دسترس نبودند"
PARTIAL_FAILURE = "(بخشی از خبرها)"  # the source answered, but some of its pages could not be read
NO_BRIEF_CONCERNS = "نگرانی‌ای در این بازه ثبت نشد."
RECURRING = "موضوع‌های تکراری (از پیش از این بازه ادامه دارند)"
NO_RECURRING = "موضوع ادامه‌داری نبود."
ALL_ARTICLES = "فهرست همهٔ خبرها"
NO_ARTICLE_LIST = "خبری نبود."


def more_concerns(n: int) -> str:
    """Under a group in the digest: the concerns cut off there, listed in the chair's brief."""
    return f"و {fa_digits(n)} نگرانی دیگر، در گزارش این کارگروه."


# --- a story -----------------------------------------------------------------------------------------
NEW = "تازه"
CONTINUING = "ادامه‌دار"
FIRST_SEEN = "نخستین بار"
WHY = "چرا این رتبه"
SCORE = "امتیاز"
LATE = "دیرتر رسیده"  # an article published before the period, collected after the last digest

# --- the brief's trend -------------------------------------------------------------------------------
CHANGE = "تغییر"
TREND_ARTICLES = "خبرها"
TREND_CONCERNS = "نگرانی‌های شهروندان"
TREND_NEGATIVE = "خبرهای با لحن منفی"


def this_period(weekly: bool) -> str:
    return "این هفته" if weekly else "این دوره"


def previous_period(weekly: bool) -> str:
    return "هفتهٔ پیش" if weekly else "دورهٔ پیش"


def trend(weekly: bool) -> str:
    return f"روند نسبت به {previous_period(weekly)}"


# Short names of the working groups for the HTML page's table of contents on a phone.
SHORT_GROUP_TITLES = {
    "culture_social_tourism": "فرهنگی و اجتماعی",
    "civil_works_traffic": "عمرانی و ترافیکی",
    "urban_planning_legal": "شهرسازی و حقوقی",
    "urban_services": "خدمات شهری",
    "economic_budget_it": "اقتصادی",
}


# --- referrals (the workspace) in the chair's brief ---------------------------------------------------------
REFERRALS_OPEN = "ارجاع‌های باز به این کارگروه"
REFERRALS_ANSWERED = "ارجاع‌های پاسخ‌داده‌شده در این هفته"
OVERDUE = "دیرکرد"
DUE = "مهلت"
MANAGER = "مسئول"
ANSWER = "پاسخ منتشرشده"
IN_WORKSPACE = "در میز کار"
REFERRAL_STATES = {"new": "تازه", "referred": "ارجاع‌شده", "answered": "پاسخ‌داده‌شده", "closed": "بسته‌شده"}


# --- early-warning alerts (issue 14): the alert e-mail, the digest's first section, the workspace ---------
ALERTS = "هشدارهای فوری"
ALERT = "هشدار رصد رسانه‌ها"
ALERT_CRITICAL = "هشدار فوری رصد رسانه‌ها"
ALERT_ARTICLES = "خبرهای این هشدار"
ALERT_OPENED = "زمان هشدار"
ALERT_STARTED = "نخستین خبر"
ALERT_CLOSED = "بسته شد"
ALERT_OPEN = "باز"
ALERT_FOOTER = ("این هشدار را سامانهٔ رصد رسانه‌ها خودکار فرستاده است؛ خبرهای بعدیِ همین موضوع به همین هشدار "
                "افزوده می‌شوند و هشدار تازه‌ای برای آن فرستاده نمی‌شود.")
ALERT_RULE_TITLES = {"critical": "رویداد حساس", "spread": "گسترش سریع در رسانه‌ها", "surge": "افزایش غیرعادی"}


def alert_subject(headline: str, critical: bool) -> str:
    return f"{ALERT_CRITICAL if critical else ALERT}: {headline}"


def surge_headline(kind: str, name: str, group_title: str) -> str:
    """The headline of a surge alert, which is about a place or a working group rather than one story."""
    if kind == "place":
        return f"افزایش غیرعادی خبرهای نگرانی دربارهٔ {name}"
    return f"افزایش غیرعادی خبرهای نگرانی در حوزهٔ {group_title}"


def _hours(h: object) -> str:
    try:
        v = float(h)  # type: ignore[arg-type]  # any figure stored with the alert; a non-number is shown as is
    except (TypeError, ValueError):
        return str(h)
    return fa_digits(int(v) if v == int(v) else f"{v:.1f}".replace(".", "٫"))


def alert_reason(rule: str, figures: dict) -> str:
    """Why the alert was raised, in one sentence with its figures."""
    n = fa_digits(figures.get("outlets", 0))
    h = _hours(figures.get("window_hours", 6))
    if rule == "critical":
        return f"رویداد حساس در رشت («{figures.get('terms', '')}») که {n} رسانه در {h} ساعت گزارش کرده‌اند."
    if rule == "spread":
        said = f"{n} رسانهٔ مختلف در {h} ساعت دربارهٔ این نگرانی نوشته‌اند"
        if "share" in figures and "hours" in figures:
            share = float(figures["share"])
            pct = f"تنها {fa_digits(round(100 * share))}٪" if share >= 0.01 else "کمتر از ۱٪"
            said = (f"{n} رسانهٔ مختلف در {_hours(figures['hours'])} ساعت دربارهٔ این نگرانی نوشته‌اند؛ "
                    f"از خبرهای نگرانی {fa_digits(figures.get('baseline_days', 28))} روز گذشته {pct} "
                    "چنین سریع پخش شده بود")
        return said + "."
    expected = fa_digits(f"{float(figures.get('expected', 0)):.1f}").replace(".", "٫")
    return (f"{fa_digits(figures.get('count', 0))} خبر نگرانی در {h} ساعت؛ میانگین {fa_digits(figures.get('baseline_days', 28))} "
            f"روز گذشته {expected} خبر در همین مدت بود (احتمال تصادفی بودن کمتر از {fa_digits(figures.get('p', ''))}).")
