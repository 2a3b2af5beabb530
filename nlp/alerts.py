"""Early warning: when is a citizens' problem growing fast enough to tell the committee now?

Plain functions over the kernel's records (no storage, no Prefect): `evaluate` reads the analysed
articles of the last hours and the concern baseline and says which rules fire; `advance` turns those
triggers into alerts — one per story, updated by later articles, closed when the story goes quiet —
and says which alerts are due for delivery (quiet hours hold non-critical ones). flows/pulse.py runs
both every hour; bench/alerts.py runs them over a simulated month.

The rules (every number is a setting in mediawatch/settings.py, with its reason):

* **critical** — a Rasht concern story that names a critical term (nlp/lexicons/critical_terms.txt:
  flood, fire, collapse, gas leak, strike, earthquake …) reported by ≥ `alert_critical_outlets` (2)
  distinct outlets within `alert_spread_hours` (4 h). Story grouping misses a report now and then, so
  Rasht concern reports of different stories naming the same term and the same place (or none) count
  as one event too. Never held by quiet hours.
* **spread** — a concern story (most of its reports in the window judged concerns) reported by ≥
  `alert_min_outlets` (3) distinct outlets within `alert_spread_hours` (4 h), faster than the city's
  concern stories usually travel: it reached its k outlets in s hours, and at most
  `alert_spread_share` (1 %) of the concern stories of the baseline (the `alert_baseline_days` before
  the window) reached k outlets within s hours — the empirical tail (n_fast + 1) / (n + 1), so no
  distribution is assumed. Until the baseline holds enough stories for that share to mean anything
  (`AlertRules.spread_min_stories`: 199 at 1 %; a new installation) the outlet count alone decides.
* **surge** — the concern stories of one place (a neighbourhood, street or square), or of one working
  group, in the last third, two thirds and whole of `alert_window_hours` (2, 4 and 6 h: k) against
  that key's own baseline for the same width: its concern stories in the same hours of the day on each
  of the `alert_baseline_days` (28) days before (news has a daily rhythm), as a mean per day
  λ = n / 28, floored at `alert_surge_min_rate` (0.1 for the whole window, pro rata for the shorter).
  It fires when, for some width, the Poisson upper tail P(X ≥ k | λ) < `alert_surge_p` / 3 (1e-4 over
  three looks: Bonferroni) and k ≥ `alert_surge_min_stories` (3) from ≥ 2 outlets, once the baseline
  reaches back a week (`MIN_BASELINE_DAYS`). A sharp burst is seen in the short window as it starts,
  a slow one in the long window. Stories that have their own (critical or spread) alert are not
  counted: that alert already tells the committee.

An article counts as a concern by its current analysis, and a story is a concern story when at least
half of its reports (more than half for spread) in the window are concerns; an outlet counts once per story however many articles
(or republications) it ran. A story is the story cluster (nlp/dedup.py); an article in no
story is its own story ("a<id>").
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from mediawatch.listfile import read_list
from mediawatch.records import Alert, ConcernMark, DigestItem, Domain
from mediawatch.settings import Settings
from mediawatch.timeutil import TEHRAN
from nlp.lexicon import LEXICON_DIR, Matcher
from nlp.normalize import fold

CRITICAL_LEXICON = "critical_terms"
# Places that name the whole city or province (or a "every district" phrase): their counts are the
# city's, which the working-group surge already watches; a surge key is a neighbourhood, street or square.
CITY_WIDE = frozenset({"رشت", "رشتی", "گیلان", "گیلانی", "استان گیلان", "مناطق پنجگانه", "شهرداری منطقه"})
# The surge rule waits until the baseline covers at least a week: on a new installation every first
# mention would otherwise look like a surge against an empty history.
MIN_BASELINE_DAYS = 7
# The surge rule scans the last third, two thirds and the whole of its window.
SCAN_STEPS = 3
# Rule precedence: an alert keeps the strongest rule that ever fired for it.
_STRENGTH = {"surge": 0, "spread": 1, "critical": 2}


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The thresholds of the rules (see the module docstring); `from_settings` reads them."""

    min_outlets: int = 3
    spread_share: float = 0.01
    window: timedelta = timedelta(hours=6)
    spread_window: timedelta = timedelta(hours=4)
    baseline_days: int = 28
    surge_p: float = 1e-4
    surge_min_stories: int = 3
    surge_min_rate: float = 0.1
    critical_outlets: int = 2
    close_after: timedelta = timedelta(hours=24)
    quiet_hours: tuple[time, time] | None = (time(22, 0), time(6, 30))

    @property
    def spread_min_stories(self) -> int:
        """The spread rule compares a story's speed with the baseline once it holds this many concern
        stories: enough that one earlier story as fast still leaves the share within `spread_share`
        ((1 + 1) / (n + 1) ≤ share; 199 at 1 %). With fewer the outlet count alone decides."""
        return math.ceil(2 / self.spread_share) - 1

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertRules:
        return cls(
            min_outlets=settings.alert_min_outlets,
            spread_share=settings.alert_spread_share,
            window=timedelta(hours=settings.alert_window_hours),
            spread_window=timedelta(hours=settings.alert_spread_hours),
            baseline_days=settings.alert_baseline_days,
            surge_p=settings.alert_surge_p,
            surge_min_stories=settings.alert_surge_min_stories,
            surge_min_rate=settings.alert_surge_min_rate,
            critical_outlets=settings.alert_critical_outlets,
            close_after=timedelta(hours=settings.alert_close_hours),
            quiet_hours=parse_quiet_hours(settings.alert_quiet_hours),
        )


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """"22:00-06:30" → (22:00, 06:30); "" → None. A bad value names the setting and the format."""
    value = value.strip()
    if not value:
        return None
    try:
        start, end = (time.fromisoformat(p.strip()) for p in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"MEDIAWATCH_ALERT_QUIET_HOURS={value!r} is not HH:MM-HH:MM (e.g. 22:00-06:30), "
                         "or empty for no quiet hours") from exc
    return start, end


def in_quiet_hours(at: datetime, quiet: tuple[time, time] | None) -> bool:
    """Is `at` (aware) inside the quiet hours, read on Tehran's clock? The span may wrap midnight."""
    if quiet is None:
        return False
    start, end = quiet
    t = at.astimezone(TEHRAN).time()
    return start <= t < end if start <= end else (t >= start or t < end)


@functools.cache
def _critical() -> Matcher:
    # Folded only (no hazm pass): an idle pulse evaluates the rule without loading hazm; the matcher
    # already accepts a multiword term with or without its space or half-space.
    return Matcher(tuple(dict.fromkeys(fold(t) for t in read_list(LEXICON_DIR / f"{CRITICAL_LEXICON}.txt"))))


@functools.lru_cache(maxsize=8192)
def _terms_in(text: str) -> tuple[str, ...]:
    return tuple(_critical().find(fold(text))) if text else ()


def critical_terms(*texts: str) -> list[str]:
    """The critical terms (canonical form, once each) found in the texts."""
    return list(dict.fromkeys(t for text in texts for t in _terms_in(text)))


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam): 1 − Σ_{i<k} e^−λ λ^i / i!, summed in log space (exact enough for k ≤ 10^3)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # The upper tail directly (no 1 − cdf cancellation): Σ_{i≥k} terms, until they stop mattering.
    log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)
    total, i = 0.0, k
    term = math.exp(log_term)
    while True:
        total += term
        i += 1
        term *= lam / i
        if term < total * 1e-15 or i > k + 10_000:
            return min(1.0, total)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A rule that fired at one evaluation: what, about which story, and the figures behind it."""

    key: str
    rule: str
    critical: bool
    domain: str
    headline: str
    article_ids: tuple[int, ...]
    outlets: tuple[str, ...]
    figures: dict[str, float | int | str] = field(default_factory=dict)
    started_at: datetime | None = None
    last_article_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SpreadBaseline:
    """How fast the baseline's concern stories gathered outlets: for k = 2, 3, …, the sorted hours from
    each story's first concern report to its k-th distinct outlet (stories that never reached k are
    not listed under k)."""

    stories: int
    lags: dict[int, list[float]]

    @classmethod
    def of(cls, marks: Iterable[ConcernMark], since: datetime, until: datetime, span: timedelta) -> SpreadBaseline:
        """The stories that began in [since, until − span], each followed for `span` (all inside the baseline)."""
        by_story: dict[str, list[ConcernMark]] = defaultdict(list)
        for m in marks:
            if since <= m.seen_at < until:
                by_story[m.story or f"a{m.article_id}"].append(m)
        lags: dict[int, list[float]] = defaultdict(list)
        n = 0
        for members in by_story.values():
            times = list(_first_reports(members).values())  # in order of first report
            first = times[0]
            if first > until - span:
                continue  # too recent to have been followed for the whole span
            n += 1
            for k, at in enumerate(times[1:], start=2):
                if at - first <= span:
                    lags[k].append((at - first).total_seconds() / 3600)
        return cls(stories=n, lags={k: sorted(v) for k, v in lags.items()})

    def share(self, outlets: int, hours: float) -> float:
        """The share of baseline stories that reached `outlets` outlets within `hours`: (n_fast + 1) / (n + 1)."""
        return (bisect.bisect_right(self.lags.get(outlets, []), hours) + 1) / (self.stories + 1)


def story_key(item: DigestItem) -> str:
    return item.cluster_key or f"a{item.article_id}"


def _first_reports(items: Iterable[DigestItem | ConcernMark]) -> dict[str, datetime]:
    """Each outlet's first report time, outlets in the order they first reported (ties by article id)."""
    firsts: dict[str, datetime] = {}
    for i in sorted(items, key=lambda i: (i.seen_at, i.article_id)):
        firsts.setdefault(i.source_id, i.seen_at)
    return firsts


def _outlets(items: Iterable[DigestItem]) -> tuple[str, ...]:
    """Distinct outlets in the order they first reported."""
    return tuple(_first_reports(items))


def _span_hours(items: Iterable[DigestItem]) -> float:
    """Hours from the first report to the first report of the last outlet to join."""
    times = list(_first_reports(items).values())  # in order of first report
    return (times[-1] - times[0]).total_seconds() / 3600 if times else 0.0


def _domain(items: Sequence[DigestItem]) -> str:
    counts = Counter(str(i.domain) for i in items if i.domain != Domain.other)
    return counts.most_common(1)[0][0] if counts else str(Domain.other)


def _headline(items: Sequence[DigestItem]) -> str:
    first = min(items, key=lambda i: (i.is_duplicate, i.seen_at, i.article_id))
    return first.title


def evaluate(items: Sequence[DigestItem], baseline: Sequence[ConcernMark], now: datetime,
             rules: AlertRules = AlertRules(), *, alerted: Iterable[str] = ()) -> list[Trigger]:
    """The rules that fire at `now`.

    `items`: the analysed articles seen up to `now` — at least the window; more (the stories' earlier
    articles) only adds them to the alerts' article lists. `baseline`: the concern articles of the
    `rules.baseline_days` before the window (ConcernMark, from Store.concern_marks). Items seen after
    `now` are ignored, so a timeline can be replayed hour by hour. `alerted`: story keys that have an
    open alert already (their articles do not count toward a surge).
    """
    start = now - rules.spread_window
    seen = [i for i in items if i.seen_at <= now]
    stories: dict[str, list[DigestItem]] = defaultdict(list)
    for i in seen:
        stories[story_key(i)].append(i)
    triggers: list[Trigger] = []
    cut = now - rules.window  # the baseline ends where the surge window begins (as the pulse reads it)
    speed: SpreadBaseline | None = None  # read from the baseline only when a story reaches min_outlets
    for key, members in stories.items():
        recent = [i for i in members if i.seen_at > start]
        concerns = [i for i in recent if i.concern]
        # A concern story: at least half of its reports in the window are judged concerns (one report the
        # classifier got wrong neither makes a ceremony a concern nor hides a flood).
        if not concerns or 2 * len(concerns) < len(recent):
            continue
        outlets = _outlets(recent)
        rasht = _outlets(i for i in recent if i.rasht)
        terms = critical_terms(*(t for i in concerns for t in (i.title, i.lead, i.key_sentence)))
        common: dict[str, Any] = dict(key=key, domain=_domain(members), headline=_headline(members),
                      article_ids=tuple(i.article_id for i in sorted(members, key=lambda i: (i.seen_at, i.article_id))),
                      started_at=min(i.seen_at for i in members), last_article_at=max(i.seen_at for i in members))
        window_h = rules.spread_window.total_seconds() / 3600
        if terms and any(i.rasht for i in concerns) and len(rasht) >= rules.critical_outlets:
            triggers.append(Trigger(rule="critical", critical=True, outlets=rasht, figures={
                "outlets": len(rasht), "window_hours": window_h, "terms": "، ".join(terms[:5]),
                "articles": len(recent)}, **common))
        elif len(outlets) >= rules.min_outlets and 2 * len(concerns) > len(recent):
            figures: dict[str, float | int | str] = {"outlets": len(outlets), "window_hours": window_h,
                                                     "articles": len(recent)}
            if speed is None:
                speed = SpreadBaseline.of(baseline, cut - timedelta(days=rules.baseline_days), cut, rules.spread_window)
            if speed.stories >= rules.spread_min_stories:
                hours = _span_hours(recent)
                share = speed.share(len(outlets), hours)
                if share > rules.spread_share:
                    continue  # as fast as the city's concern stories often travel: not news yet
                figures |= {"hours": round(hours, 2), "share": round(share, 4), "baseline_stories": speed.stories,
                            "baseline_days": rules.baseline_days}
            triggers.append(Trigger(rule="spread", critical=False, outlets=outlets, figures=figures, **common))
    triggers += _critical_across(stories, start, rules, done={t.key for t in triggers if t.critical})
    triggers += _surges(seen, baseline, now, rules, covered={t.key for t in triggers} | set(alerted))
    return triggers


def _critical_across(stories: dict[str, list[DigestItem]], start: datetime, rules: AlertRules,
                     done: set[str]) -> list[Trigger]:
    """The critical rule across stories: story grouping misses a report now and then (a different
    headline, a photo report), and an emergency cannot wait for it. Rasht concern reports in the window
    from different stories that name the same critical term and the same place (a neighbourhood, street
    or square; or none) are read as one event."""
    events: dict[tuple[str, frozenset[str]], list[DigestItem]] = defaultdict(list)
    for key, members in stories.items():
        if key in done:
            continue
        for i in members:
            if i.seen_at > start and i.concern and i.rasht:
                place = frozenset(p for p in i.places if p not in CITY_WIDE)
                for term in critical_terms(i.title, i.lead, i.key_sentence):
                    events[(term, place)].append(i)
    out = []
    window_h = rules.spread_window.total_seconds() / 3600
    for (term, _place), reports in events.items():
        keys = list(dict.fromkeys(story_key(i) for i in sorted(reports, key=lambda i: (i.seen_at, i.article_id))))
        outlets = _outlets(reports)
        if len(keys) < 2 or len(outlets) < rules.critical_outlets or keys[0] in done:
            continue  # one story: the story rule has judged it
        members = sorted((i for k in keys for i in stories[k]), key=lambda i: (i.seen_at, i.article_id))
        done.update(keys)
        out.append(Trigger(key=keys[0], rule="critical", critical=True, domain=_domain(members),
                           headline=_headline(members), article_ids=tuple(i.article_id for i in members),
                           outlets=outlets, figures={"outlets": len(outlets), "window_hours": window_h, "terms": term,
                                                     "articles": len(reports), "stories": len(keys)},
                           started_at=members[0].seen_at, last_article_at=members[-1].seen_at))
    return out


def _surges(seen: Sequence[DigestItem], baseline: Sequence[ConcernMark], now: datetime, rules: AlertRules,
            covered: set[str]) -> list[Trigger]:
    start = now - rules.window
    base_start = start - timedelta(days=rules.baseline_days)
    if not any(m.seen_at <= start - timedelta(days=MIN_BASELINE_DAYS) for m in baseline):
        return []  # too little history to know what is normal
    # The same hours of the day on each of the baseline days: news has a daily rhythm (little at night,
    # most around noon), so a noon window is compared with earlier noons, not with a 24-hour average.
    # A scan over nested windows ending now — the last third, two thirds and the whole of the window — so
    # a sharp burst is seen when it starts, a slower one when it has built up; each is tested at
    # surge_p / 3 (Bonferroni: three looks cost no more false surges than one).
    day = timedelta(days=1)
    widths = [rules.window * f / SCAN_STEPS for f in range(1, SCAN_STEPS + 1)]
    level = rules.surge_p / len(widths)
    # Stories, not articles, are counted: one event told by four outlets is one report of a problem
    # (and counting its copies would make the counts far more variable than a Poisson law allows).
    base_stories: list[dict[str, set[str]]] = [defaultdict(set) for _ in widths]
    for m in baseline:
        if base_start <= m.seen_at <= start:
            ago = (now - m.seen_at) % day
            for w, width in enumerate(widths):
                if ago < width:
                    for k in _count_keys(m.domain, m.places):
                        base_stories[w][k].add(m.story or f"a{m.article_id}")
    current: dict[str, list[DigestItem]] = defaultdict(list)
    for i in seen:
        # A story with its own alert is already told: its articles make no surge of their own.
        if i.concern and start < i.seen_at <= now and story_key(i) not in covered:
            for k in _count_keys(str(i.domain), i.places):
                current[k].append(i)
    out = []
    for key, everything in sorted(current.items()):
        best: tuple[float, int, int, float, timedelta, list[DigestItem]] | None = None
        for w, width in enumerate(widths):
            members = [i for i in everything if i.seen_at > now - width]
            stories = len({story_key(i) for i in members})
            if stories < rules.surge_min_stories or len(_outlets(members)) < 2:
                continue
            n = len(base_stories[w].get(key, ()))
            # The floor scales with the width: "once in ten days" for the whole window.
            lam = max(n / rules.baseline_days, rules.surge_min_rate * (width / rules.window))
            p = poisson_tail(stories, lam)
            if p < level and (best is None or p < best[0]):
                best = (p, stories, n, lam, width, members)
        if best is None:
            continue
        p, stories, n, lam, width, members = best
        outlets = _outlets(members)
        kind, _, value = key.partition(":")
        members = sorted(members, key=lambda i: (i.seen_at, i.article_id))
        out.append(Trigger(
            key=key, rule="surge", critical=False,
            domain=value if kind == "group" else _domain(members),
            headline=value if kind == "place" else "", article_ids=tuple(i.article_id for i in members),
            outlets=outlets,
            figures={"kind": kind, "name": value, "count": stories, "articles": len(members), "baseline": n,
                     "baseline_days": rules.baseline_days, "expected": round(lam, 3), "p": float(f"{p:.3g}"),
                     "window_hours": width.total_seconds() / 3600},
            started_at=members[0].seen_at, last_article_at=members[-1].seen_at))
    return out


def _count_keys(domain: str, places: Iterable[str]) -> list[str]:
    keys = [f"place:{p}" for p in dict.fromkeys(places) if p not in CITY_WIDE]
    if domain not in (str(Domain.other),):
        keys.append(f"group:{domain}")
    return keys


@dataclass(slots=True)
class Step:
    """What one evaluation changed: alerts opened, updated, closed; and those due for delivery now."""

    opened: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    closed: list[Alert] = field(default_factory=list)
    due: list[Alert] = field(default_factory=list)

    @property
    def changed(self) -> list[Alert]:
        return [*self.opened, *self.updated, *self.closed]


def advance(alerts: Sequence[Alert], triggers: Sequence[Trigger], now: datetime,
            rules: AlertRules = AlertRules(), *, stories: dict[str, list[DigestItem]] | None = None) -> Step:
    """Turn `triggers` into alerts against the `alerts` known so far (open ones, and closed ones that may
    reopen); mutates and returns them in a Step.

    One alert per story: a trigger whose key — or any of whose articles — belongs to an alert updates
    that alert (new articles, figures, a stronger rule) and is never sent again. An open alert whose
    story has had no article for `rules.close_after` closes. `stories` (story key → its recent
    articles, `group_stories`) adds a story's later articles to its open alert even when they do not
    fire a rule themselves, and keeps it open.
    Due: open alerts not yet delivered on every channel (e-mail `sent_at`, webhook `webhook_at`), unless
    non-critical during quiet hours (held until they end).
    """
    step = Step()
    touched: set[int] = set()  # id() of the alerts already listed in step.opened / step.updated

    def mark_updated(alert: Alert) -> None:
        alert.updated_at = now
        if id(alert) not in touched:
            touched.add(id(alert))
            step.updated.append(alert)

    by_key = {a.key: a for a in alerts}
    # A story's trigger finds its alert by key, or by an article it shares with a story alert (the story
    # was regrouped under another key); surges (a place's or a group's count) only by their own key.
    by_article = {aid: a for a in alerts if a.rule != "surge" for aid in a.article_ids}
    for t in triggers:
        alert = by_key.get(t.key)
        if alert is None and t.rule != "surge":
            alert = next((by_article[a] for a in t.article_ids if a in by_article), None)
        if alert is None:
            alert = Alert(key=t.key, rule=t.rule, critical=t.critical, domain=t.domain, headline=t.headline,
                          article_ids=t.article_ids, outlets=t.outlets, figures=dict(t.figures), opened_at=now,
                          updated_at=now, last_article_at=t.last_article_at or now, started_at=t.started_at or now)
            by_key[t.key] = alert
            if t.rule != "surge":
                for a in t.article_ids:
                    by_article[a] = alert
            step.opened.append(alert)
            touched.add(id(alert))
            continue
        if alert.closed_at is not None and alert.last_article_at >= (t.last_article_at or now):
            continue  # a closed alert is only reopened by a newer article
        changed = False
        ids = tuple(sorted(set(alert.article_ids) | set(t.article_ids)))
        if ids != tuple(sorted(alert.article_ids)):
            alert.article_ids = tuple(dict.fromkeys((*alert.article_ids, *(a for a in t.article_ids
                                                                          if a not in alert.article_ids))))
            if alert.rule != "surge":
                for a in t.article_ids:
                    by_article[a] = alert
            changed = True
        outlets = tuple(dict.fromkeys((*alert.outlets, *t.outlets)))
        if outlets != alert.outlets:
            alert.outlets, changed = outlets, True
        if _STRENGTH[t.rule] > _STRENGTH.get(alert.rule, -1) and alert.rule != "surge":
            alert.rule, alert.critical, alert.figures, changed = t.rule, t.critical or alert.critical, dict(t.figures), True
        elif t.rule == alert.rule and t.figures != alert.figures:
            merged = {k: max(v, alert.figures.get(k, v)) if isinstance(v, int | float) and k != "p" else v
                      for k, v in t.figures.items()}
            if merged != alert.figures:
                alert.figures, changed = merged, True
        if t.last_article_at and t.last_article_at > alert.last_article_at:
            alert.last_article_at, changed = t.last_article_at, True
        if alert.closed_at is not None:
            alert.closed_at, changed = None, True  # the story is back: the same alert, open again
            alert.sent_at = alert.webhook_at = None  # … and the committee is told again
        if changed:
            mark_updated(alert)
    for alert in by_key.values():
        news = [i for i in (stories or {}).get(alert.key, ()) if i.article_id not in alert.article_ids]
        if alert.closed_at is None and news:  # the story's later articles join its alert, even below the rule
            alert.article_ids = (*alert.article_ids, *(i.article_id for i in news))
            alert.outlets = tuple(dict.fromkeys((*alert.outlets, *_outlets(news))))
            alert.last_article_at = max(alert.last_article_at, *(i.seen_at for i in news))
            mark_updated(alert)
        if alert.closed_at is None and now - alert.last_article_at >= rules.close_after:
            alert.closed_at = now
            step.closed.append(alert)
    quiet = in_quiet_hours(now, rules.quiet_hours)
    step.due = [a for a in by_key.values()
                if a.closed_at is None and (a.sent_at is None or a.webhook_at is None) and (a.critical or not quiet)]
    return step


def group_stories(items: Iterable[DigestItem]) -> dict[str, list[DigestItem]]:
    """Story key → its articles among `items`, oldest first."""
    out: dict[str, list[DigestItem]] = defaultdict(list)
    for i in sorted(items, key=lambda i: (i.seen_at, i.article_id)):
        out[story_key(i)].append(i)
    return dict(out)


def marks(items: Iterable[DigestItem]) -> list[ConcernMark]:
    """The concern articles among `items` as baseline marks."""
    return [ConcernMark(article_id=i.article_id, source_id=i.source_id, seen_at=i.seen_at, domain=str(i.domain),
                        places=i.places, story=story_key(i)) for i in items if i.concern]


def replay(items: Sequence[DigestItem], start: datetime, end: datetime, rules: AlertRules = AlertRules(), *,
           every: timedelta = timedelta(hours=1), baseline: Sequence[ConcernMark] = ()) -> list[Alert]:
    """Run the pulse's evaluation every `every` from `start` to `end` over a known timeline, as if
    each alert that fell due had been sent then; every alert raised, oldest first.

    `baseline`: concern marks older than the items (the items' own concern articles are added).
    Used by the tests, bench/alerts.py and the demo (which collects a whole day at once).
    """
    items = sorted(items, key=lambda i: (i.seen_at, i.article_id))
    base = sorted([*baseline, *marks(items)], key=lambda m: m.seen_at)
    alerts: list[Alert] = []
    span = rules.window + rules.close_after
    now = start
    lo = 0
    while now <= end:
        while lo < len(items) and items[lo].seen_at < now - span:
            lo += 1
        recent = [i for i in items[lo:] if i.seen_at <= now]
        open_keys = [a.key for a in alerts if a.closed_at is None]
        triggers = evaluate(recent, base, now, rules, alerted=open_keys)
        live = [a for a in alerts if a.closed_at is None or now - a.closed_at < span]
        step = advance(live, triggers, now, rules, stories=group_stories(recent))
        alerts += step.opened
        for a in step.due:
            a.sent_at = a.webhook_at = now
        now += every
    return alerts


def held(alert: Alert, now: datetime, rules: AlertRules) -> bool:
    """Is this open, unsent alert being held by quiet hours?"""
    return alert.closed_at is None and (alert.sent_at is None or alert.webhook_at is None) and not alert.critical and in_quiet_hours(
        now, rules.quiet_hours)


def delay_hours(alert: Alert) -> float:
    """Hours from the story's first article to the alert."""
    return (alert.opened_at - alert.started_at).total_seconds() / 3600


__all__ = ["AlertRules", "SpreadBaseline", "Step", "Trigger", "advance", "critical_terms", "delay_hours", "evaluate", "group_stories", "held",
           "in_quiet_hours", "marks", "parse_quiet_hours", "poisson_tail", "replay", "story_key"]
