"""What the workspace (web/) stores and reads: accounts, sessions, login attempts, referrals, the audit log,
and the page queries (article detail, story, filtered search, review queue, sources, archive).

Reached as `store.workspace`; every method works on SQLite and PostgreSQL. Changes made by a person are
written together with their audit-log row in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Text, cast, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from mediawatch.records import ROLES, DigestItem
from mediawatch.text import search_terms
from mediawatch.timeutil import utcnow
from storage.base import StoreBase
from storage.corrections import CorrectionStore
from storage.digests import digest_query, read_digest_items
from storage.errors import StoreError
from storage.schema import (
    analyses,
    article_texts,
    articles,
    audit_log,
    cluster_members,
    corrections,
    digests,
    login_attempts,
    referrals,
    run_reports,
    runs,
    sessions,
    sources,
    users,
)
from storage.search import fts_match, make_snippet

REFERRAL_STATES = ("new", "referred", "answered", "closed")
# Login attempts older than a day are never read (throttling looks back minutes): they are deleted.
LOGIN_ATTEMPTS_KEEP = timedelta(days=1)
# The search page counts matches up to this many; beyond, it says "more than 1,000".
COUNT_CAP = 1000
# Rows an export from the search page may hold: a spreadsheet beyond this is no longer read by a person.
EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    role: str
    group: str | None
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    user: UserRecord
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Referral:
    id: int
    cluster_key: str
    article_id: int | None
    headline: str
    group: str
    state: str
    note: str
    manager: str
    due_date: date | None
    answer_url: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    referred_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.state in ("new", "referred")

    def overdue(self, today: date) -> bool:
        return self.open and self.due_date is not None and self.due_date < today


@dataclass(frozen=True, slots=True)
class Filters:
    """The search page's filters; None means "any"."""

    query: str = ""
    domain: str | None = None
    source_id: str | None = None
    source_kind: str | None = None
    concern: bool | None = None
    tone: str | None = None
    place: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "new"  # "new": newest first; "best": best match first (slower on common words)


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: int
    title: str
    url: str
    source_name: str
    source_kind: str
    seen_at: datetime
    domain: str | None
    tone: str | None
    concern: bool | None
    snippet: str


def _user(r: Any) -> UserRecord:
    return UserRecord(id=r.id, name=r.name, role=r.role, group=r.group, password_hash=r.password_hash,
                      disabled=r.disabled, created_at=r.created_at)


def _referral(r: Any) -> Referral:
    return Referral(**{f.name: getattr(r, f.name) for f in fields(Referral)})


def _user_id(c: Any, name: str) -> int:
    uid = c.scalar(select(users.c.id).where(users.c.name == name))
    if uid is None:
        raise StoreError(f"no user named {name!r}: see `mediawatch users list`")
    return int(uid)


def _audit(c: Any, who: str, action: str, target: str, old: Any, new: Any) -> None:
    c.execute(audit_log.insert().values(at=utcnow(), who=who, action=action, target=target, old=old, new=new))


class Workspace(StoreBase):
    """Storage for the workspace; see the module docstring."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._corrections = CorrectionStore(engine)  # a person's correction is the store's (add_correction)

    # --- accounts ------------------------------------------------------------------------------
    def add_user(self, name: str, *, role: str, group: str | None, password_hash: str, who: str) -> int:
        """Create an account; its id. The caller hashes the password (web.auth.hash_password)."""
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if (role == "chair") != (group is not None):
            raise StoreError("a chair needs --group (their working group); other roles take none")
        try:
            with self._write() as c:
                uid = int(c.execute(users.insert().values(
                    name=name, role=role, group=group, password_hash=password_hash, disabled=False,
                    created_at=utcnow()).returning(users.c.id)).scalar_one())
                _audit(c, who, "user.add", f"user:{name}", None, {"role": role, "group": group})
                return uid
        except IntegrityError as exc:
            raise StoreError(f"a user named {name!r} exists already: choose another name") from exc

    def user(self, name: str) -> UserRecord | None:
        with self._read() as c:
            r = c.execute(select(users).where(users.c.name == name)).first()
        return _user(r) if r else None

    def users(self) -> list[UserRecord]:
        with self._read() as c:
            return [_user(r) for r in c.execute(select(users).order_by(users.c.name))]

    def set_disabled(self, name: str, disabled: bool, *, who: str) -> None:
        """Disable (or enable) an account; disabling ends its sessions at once."""
        with self._write() as c:
            uid = _user_id(c, name)
            c.execute(update(users).where(users.c.id == uid).values(disabled=disabled))
            if disabled:
                c.execute(delete(sessions).where(sessions.c.user_id == uid))
            _audit(c, who, "user.disable" if disabled else "user.enable", f"user:{name}", None, None)

    def set_password_hash(self, name: str, password_hash: str, *, who: str) -> None:
        """Replace an account's password hash (ends its sessions)."""
        with self._write() as c:
            uid = _user_id(c, name)
            c.execute(update(users).where(users.c.id == uid).values(password_hash=password_hash))
            c.execute(delete(sessions).where(sessions.c.user_id == uid))
            _audit(c, who, "user.password", f"user:{name}", None, None)

    # --- sessions and login throttling ---------------------------------------------------------
    def create_session(self, user_id: int, token_hash: str, csrf: str, expires_at: datetime) -> None:
        now = utcnow()
        with self._write() as c:
            c.execute(delete(sessions).where(sessions.c.expires_at < now))
            c.execute(sessions.insert().values(token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=now,
                                               expires_at=expires_at))

    def session(self, token_hash: str) -> SessionRecord | None:
        """The live session with this token hash (not expired, account enabled), or None."""
        q = (select(sessions.c.csrf, sessions.c.expires_at, users)
             .join(users, users.c.id == sessions.c.user_id)
             .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > utcnow(),
                    users.c.disabled.is_(False)))
        with self._read() as c:
            r = c.execute(q).first()
        return SessionRecord(user=_user(r), csrf=r.csrf, expires_at=r.expires_at) if r else None

    def end_session(self, token_hash: str) -> None:
        with self._write() as c:
            c.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def record_login(self, username: str, address: str, ok: bool) -> int:
        """Record a login attempt; its id. The login form records each attempt as failed before it checks
        the password (`login_succeeded` or `forget_login` settle it), so parallel guesses count at once."""
        now = utcnow()
        with self._write() as c:
            c.execute(delete(login_attempts).where(login_attempts.c.at < now - LOGIN_ATTEMPTS_KEEP))
            return int(c.execute(login_attempts.insert().values(
                username=username[:64], address=address[:64], ok=ok, at=now).returning(login_attempts.c.id))
                .scalar_one())

    def login_succeeded(self, attempt_id: int) -> None:
        with self._write() as c:
            c.execute(update(login_attempts).where(login_attempts.c.id == attempt_id).values(ok=True))

    def forget_login(self, attempt_id: int) -> None:
        """Drop an attempt refused unchecked (throttled): waiting out the lockout is not another failure."""
        with self._write() as c:
            c.execute(delete(login_attempts).where(login_attempts.c.id == attempt_id))

    def login_failures(self, username: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed logins since `since`: (for this account name, from this address)."""
        base = select(func.count()).select_from(login_attempts).where(
            login_attempts.c.ok.is_(False), login_attempts.c.at >= since)
        with self._read() as c:
            by_user = c.scalar(base.where(login_attempts.c.username == username[:64])) or 0
            by_addr = c.scalar(base.where(login_attempts.c.address == address[:64])) or 0
        return int(by_user), int(by_addr)

    # --- audit ---------------------------------------------------------------------------------
    def audit(self, who: str, action: str, target: str, old: Any = None, new: Any = None) -> None:
        with self._write() as c:
            _audit(c, who, action, target, old, new)

    def audit_entries(self, *, target: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        q = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
        if target is not None:
            q = q.where(audit_log.c.target == target)
        with self._read() as c:
            return [dict(r._mapping) for r in c.execute(q)]

    # --- corrections ---------------------------------------------------------------------------
    def correct(self, article_ids: Sequence[int], field: str, value: Any, *, who: str, note: str = "") -> int:
        """Record one person's correction of `field` on these articles (via Store.add_correction) and audit it."""
        current = self.current_values(article_ids)
        for aid in article_ids:
            self._corrections.add_correction(aid, field=field, value=value, who=who, note=note)
        with self._write() as c:
            for aid in article_ids:
                _audit(c, who, "correct", f"article:{aid}", {field: current.get(aid, {}).get(field)},
                       {field: value})
        return len(article_ids)

    def corrections_for(self, article_id: int) -> list[dict[str, Any]]:
        """An article's corrections, oldest first, each with the value it replaced (`old`)."""
        detail = self.article(article_id)
        now: dict[str, Any] = {f: detail[f] for f in ("municipal", "domain", "secondary", "rasht", "concern",
                                                       "tone")} if detail and detail["analysed"] else {}
        out = []
        with self._read() as c:
            rows = c.execute(select(corrections).where(corrections.c.article_id == article_id)
                             .order_by(corrections.c.created_at, corrections.c.id)).all()
        for r in rows:
            out.append({"field": r.field, "old": now.get(r.field), "value": r.value, "who": r.who,
                        "note": r.note, "at": r.created_at})
            now[r.field] = r.value
        return out

    def latest_corrections(self, article_ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
        """The latest corrected value of each corrected field, per article (of `article_ids`, or of all:
        corrections are made by people, so the table stays small)."""
        q = (select(corrections.c.article_id, corrections.c.field, corrections.c.value)
             .order_by(corrections.c.created_at, corrections.c.id))
        if article_ids is not None:
            q = q.where(corrections.c.article_id.in_(list(dict.fromkeys(article_ids))))
        out: dict[int, dict[str, Any]] = {}
        with self._read() as c:
            for r in c.execute(q):
                out.setdefault(r.article_id, {})[r.field] = r.value
        return out

    def current_values(self, article_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The judgement a person sees now: the current analysis overlaid with the latest corrections."""
        q = (select(articles.c.id, analyses.c.municipal, analyses.c.domain, analyses.c.secondary,
                    analyses.c.rasht, analyses.c.concern, analyses.c.tone)
             .select_from(articles.outerjoin(analyses, analyses.c.id == articles.c.analysis_id))
             .where(articles.c.id.in_(list(article_ids))))
        with self._read() as c:
            out = {r.id: {k: v for k, v in r._mapping.items() if k != "id"} for r in c.execute(q)}
        for aid, fixes in self.latest_corrections(out).items():
            out[aid].update(fixes)
        return out

    # --- articles and stories ------------------------------------------------------------------
    def article(self, article_id: int) -> dict[str, Any] | None:
        """One article with its outlet, current analysis (scores, key sentence) and story key; None if absent."""
        q = (select(articles, article_texts.c.body, sources.c.name.label("source_name"),
                    sources.c.kind.label("source_kind"), sources.c.homepage.label("source_homepage"),
                    analyses.c.id.label("analysis_row"), analyses.c.model_version, analyses.c.municipal,
                    analyses.c.municipal_score, analyses.c.domain, analyses.c.domain_scores, analyses.c.secondary,
                    analyses.c.rasht, analyses.c.places, analyses.c.concern, analyses.c.concern_score,
                    analyses.c.key_sentence, analyses.c.tone, analyses.c.uncertainty,
                    cluster_members.c.cluster_key, cluster_members.c.duplicate_of)
             .select_from(articles.join(article_texts, article_texts.c.article_id == articles.c.id)
                          .join(sources, sources.c.id == articles.c.source_id)
                          .outerjoin(analyses, analyses.c.id == articles.c.analysis_id)
                          .outerjoin(cluster_members, cluster_members.c.article_id == articles.c.id))
             .where(articles.c.id == article_id))
        with self._read() as c:
            r = c.execute(q).first()
        if r is None:
            return None
        out = dict(r._mapping)
        out["analysed"] = r.analysis_row is not None
        return out

    def story_items(self, key: str) -> list[DigestItem]:
        """Every analysed article of a story (cluster key, or "a<id>" for an article in no story), oldest first."""
        q = digest_query()
        if key.startswith("a") and key[1:].isdigit():
            q = q.where(articles.c.id == int(key[1:]))
        else:
            q = q.where(cluster_members.c.cluster_key == key)
        return read_digest_items(self, q)

    def _matching(self, f: Filters) -> tuple[Any, list[Any], Any]:
        """(the FROM clause, the WHERE conditions, the rank column or None) for the articles `f` selects.

        Only the tables a filter needs are joined: ranking tens of thousands of matches of a common word
        stays on the narrow index rows.
        """
        terms = search_terms(f.query)
        ranked = bool(terms) and f.sort == "best"
        conds = self._conditions(f)
        base: Any = articles
        score = None
        if ranked:
            m = fts_match(self.dialect, terms)
            base, score = m.join(articles, articles.c.id == m.c.article_id), m.c.score
        elif terms:  # newest first: walk the date index, keeping the matches
            conds.append(articles.c.id.in_(select(fts_match(self.dialect, terms, ranked=False).c.article_id)))
        if f.source_kind:
            base = base.join(sources, sources.c.id == articles.c.source_id)
        if f.domain or f.concern is not None or f.tone or f.place:
            base = base.join(analyses, analyses.c.id == articles.c.analysis_id)
        return base, conds, score

    def search(self, f: Filters, *, offset: int = 0, limit: int = 20) -> tuple[list[Hit], int]:
        """Articles matching the query (every word, as prefixes) and the filters, newest (or best) first;
        and how many match, counted up to COUNT_CAP + 1 (more than COUNT_CAP: "more than" is all a person
        needs to narrow the search, and counting every match of a common word costs as much as the page)."""
        base, conds, score = self._matching(f)
        order = ([score.desc()] if score is not None else []) + [articles.c.seen_at.desc(), articles.c.id.desc()]
        page = select(articles.c.id).select_from(base).where(*conds).order_by(*order).offset(offset).limit(limit)
        details = (select(articles.c.id, articles.c.title, articles.c.url, articles.c.lead, articles.c.seen_at,
                          article_texts.c.body, sources.c.name.label("source_name"),
                          sources.c.kind.label("source_kind"), analyses.c.domain, analyses.c.tone, analyses.c.concern)
                   .select_from(articles.join(sources, sources.c.id == articles.c.source_id)
                                .join(article_texts, article_texts.c.article_id == articles.c.id)
                                .outerjoin(analyses, analyses.c.id == articles.c.analysis_id)))
        counted = select(articles.c.id).select_from(base).where(*conds).limit(COUNT_CAP + 1).subquery()
        with self._read() as c:
            total = int(c.scalar(select(func.count()).select_from(counted)) or 0)
            ids = list(c.scalars(page))
            rows = {r.id: r for r in c.execute(details.where(articles.c.id.in_(ids)))}
        terms = search_terms(f.query)
        hits = [Hit(article_id=r.id, title=r.title, url=r.url, source_name=r.source_name, source_kind=r.source_kind,
                    seen_at=r.seen_at, domain=r.domain, tone=r.tone, concern=r.concern,
                    snippet=make_snippet(f"{r.lead}\n{r.body}", terms)) for r in (rows[i] for i in ids)]
        return hits, total

    def search_ids(self, f: Filters, *, limit: int = EXPORT_MAX_ROWS) -> list[int]:
        """The ids of the articles the search page would list (for the export), newest first."""
        base, conds, _ = self._matching(f)
        q = (select(articles.c.id).select_from(base).where(*conds)
             .order_by(articles.c.seen_at.desc(), articles.c.id.desc()).limit(limit))
        with self._read() as c:
            return list(c.scalars(q))

    @staticmethod
    def _conditions(f: Filters) -> list[Any]:
        conds: list[Any] = []
        if f.domain:
            conds.append(analyses.c.domain == f.domain)
        if f.source_id:
            conds.append(articles.c.source_id == f.source_id)
        if f.source_kind:
            conds.append(sources.c.kind == f.source_kind)
        if f.concern is not None:
            conds.append(analyses.c.concern.is_(f.concern))
        if f.tone:
            conds.append(analyses.c.tone == f.tone)
        if f.place:  # places is a JSON list of names: match the quoted name in its text
            import json

            needle = json.dumps(f.place, ensure_ascii=False)
            conds.append(or_(cast(analyses.c.places, Text).contains(needle, autoescape=True),
                             cast(analyses.c.places, Text).contains(json.dumps(f.place), autoescape=True)))
        if f.since is not None:
            conds.append(articles.c.seen_at >= f.since)
        if f.until is not None:
            conds.append(articles.c.seen_at < f.until)
        return conds

    def places(self, limit: int = 200) -> list[str]:
        """Place names found in recent analyses, most frequent first (for the search page's filter)."""
        from collections import Counter

        with self._read() as c:
            rows = c.execute(select(analyses.c.places).order_by(analyses.c.id.desc()).limit(5000)).scalars()
            counts = Counter(p for places in rows for p in (places or ()))
        return [p for p, _ in counts.most_common(limit)]

    # --- sources, archive ----------------------------------------------------------------------
    def nights(self, kind: str = "nightly", *, last: int = 7) -> tuple[list[dict[str, Any]], dict[str, dict[int, Any]]]:
        """The last runs of this kind (newest first) and, per source id, each run's report by run id."""
        with self._read() as c:
            rs = [dict(r._mapping) for r in c.execute(
                select(runs.c.id, runs.c.status, runs.c.started_at, runs.c.finished_at).where(runs.c.kind == kind)
                .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(last))]
            reports: dict[str, dict[int, Any]] = {}
            for r in c.execute(select(run_reports).where(run_reports.c.run_id.in_([x["id"] for x in rs]))):
                reports.setdefault(r.source_id, {})[r.run_id] = r
        return rs, reports

    def digest_list(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Recorded digests and briefs, newest period first (without their content)."""
        q = (select(digests.c.id, digests.c.kind, digests.c.group, digests.c.period_start, digests.c.period_end,
                    digests.c.created_at, digests.c.paths)
             .order_by(digests.c.period_end.desc(), digests.c.kind, digests.c.group).limit(limit))
        with self._read() as c:
            return [dict(r._mapping) for r in c.execute(q)]

    def digest_paths(self, digest_id: int) -> list[str]:
        with self._read() as c:
            paths = c.scalar(select(digests.c.paths).where(digests.c.id == digest_id))
        return list(paths or [])

    # --- referrals -----------------------------------------------------------------------------
    def referrals(self, *, group: str | None = None, cluster_key: str | None = None,
                  states: Sequence[str] | None = None, created_before: datetime | None = None) -> list[Referral]:
        q = select(referrals).order_by(referrals.c.created_at.desc(), referrals.c.id.desc())
        if group is not None:
            q = q.where(referrals.c.group == group)
        if cluster_key is not None:
            q = q.where(referrals.c.cluster_key == cluster_key)
        if states is not None:
            q = q.where(referrals.c.state.in_(list(states)))
        if created_before is not None:
            q = q.where(referrals.c.created_at < created_before)
        with self._read() as c:
            return [_referral(r) for r in c.execute(q)]

    def referral(self, referral_id: int) -> Referral | None:
        with self._read() as c:
            r = c.execute(select(referrals).where(referrals.c.id == referral_id)).first()
        return _referral(r) if r else None

    def refer(self, *, cluster_key: str, article_id: int | None, headline: str, group: str, who: str,
              state: str = "referred", note: str = "", manager: str = "", due_date: date | None = None,
              answer_url: str = "") -> int:
        """Open a referral of a story to a working group; its id."""
        self._check_state(state)
        now = utcnow()
        values = dict(cluster_key=cluster_key, article_id=article_id, headline=headline, group=group, state=state,
                      note=note, manager=manager, due_date=due_date, answer_url=answer_url, created_by=who,
                      created_at=now, updated_by=who, updated_at=now, **self._stamps(state, None, now))
        with self._write() as c:
            rid = int(c.execute(referrals.insert().values(**values).returning(referrals.c.id)).scalar_one())
            _audit(c, who, "refer", f"referral:{rid}", None, _jsonable(values))
        return rid

    def update_referral(self, referral_id: int, *, who: str, **changes: Any) -> Referral:
        """Change a referral's state, note, manager, due date or answer link; audited with old and new."""
        allowed = {"state", "note", "manager", "due_date", "answer_url"}
        bad = set(changes) - allowed
        if bad:
            raise StoreError(f"cannot change {', '.join(sorted(bad))} of a referral")
        if "state" in changes:
            self._check_state(changes["state"])
        now = utcnow()
        with self._write() as c:
            r = c.execute(select(referrals).where(referrals.c.id == referral_id)).first()
            if r is None:
                raise StoreError(f"no referral with id {referral_id}")
            old = {k: getattr(r, k) for k in changes}
            diff = {k: v for k, v in changes.items() if old[k] != v}
            if diff:
                stamps = self._stamps(diff["state"], r, now) if "state" in diff else {}
                c.execute(update(referrals).where(referrals.c.id == referral_id)
                          .values(**diff, **stamps, updated_by=who, updated_at=now))
                _audit(c, who, "referral.update", f"referral:{referral_id}",
                       _jsonable({k: old[k] for k in diff}), _jsonable(diff))
            r = c.execute(select(referrals).where(referrals.c.id == referral_id)).first()
        return _referral(r)

    @staticmethod
    def _check_state(state: str) -> None:
        if state not in REFERRAL_STATES:
            raise StoreError(f"unknown referral state {state!r}: use one of {', '.join(REFERRAL_STATES)}")

    @staticmethod
    def _stamps(state: str, row: Any, now: datetime) -> dict[str, datetime | None]:
        """The time stamps a move to `state` sets or clears: referred_at once referred (kept after), answered_at
        when answered (closing keeps it, and closing unanswered leaves it empty), closed_at when closed;
        a move back clears the stamps of the steps not reached."""
        have = {k: getattr(row, k) if row is not None else None for k in ("referred_at", "answered_at", "closed_at")}
        want = {
            "referred_at": state != "new",
            "answered_at": state == "answered" or (state == "closed" and have["answered_at"] is not None),
            "closed_at": state == "closed",
        }
        out: dict[str, datetime | None] = {}
        for key, on in want.items():
            if on and have[key] is None:
                out[key] = now
            elif not on and have[key] is not None:
                out[key] = None
        return out


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}


__all__ = ["COUNT_CAP", "EXPORT_MAX_ROWS", "REFERRAL_STATES", "ROLES", "Filters", "Hit", "Referral", "SessionRecord",
           "UserRecord", "Workspace"]
