"""robots.txt rules per site, by RFC 9309 (protego): allow/disallow and crawl-delay for our user agent.

protego brings what the standard asks and the stdlib parser lacks: `*` and `$` in paths
(`Disallow: /*?print=`), the longest matching rule winning with `Allow` preferred on a tie
(`Allow: /news/gilan/` under `Disallow: /news/`), and fractional Crawl-delay.

One thing is stricter here than protego: which group is ours. protego picks a group whose name
occurs in the crawler's name, so `User-agent: media` (or an empty `User-agent:`) would apply to
mediawatch. RFC 9309 §2.2.1 asks for the group whose product token matches *exactly*, else `*`;
so before parsing, every other group's name is replaced by one that matches nobody (the group
keeps its rules, which then apply to no one of ours).

What the fetch layer decides around this (scrapers/fetch.py, unchanged): robots.txt is fetched
once per site and run within `robots_timeout_s`; a 4xx means allow all; a 5xx, a timeout or an
unreachable server means disallow all for this run. A run may also keep what it read on disk for the
next runs (`RobotsCache`, at most 24 h: RFC 9309 §2.4); the hourly pulse does, the nightly does not.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from protego import Protego

from mediawatch.files import write_atomic

log = logging.getLogger("mediawatch.scrapers")

# The product token we answer to in robots.txt ("User-agent: mediawatch").
ROBOTS_AGENT = "mediawatch"
# A user-agent line, in the spellings protego accepts ("User-agent:", "useragent", "User agent"),
# with its value up to a comment.
_AGENT_LINE = re.compile(r"^(?P<field>[ \t]*user[- ]?agent\b[ \t]*:?)(?P<value>[^#\r\n]*)", re.I | re.M)
_NOBODY = "not-mediawatch"  # a group name that matches no crawler of ours


def only_exact_groups(text: str) -> str:
    """robots.txt with every group named neither `mediawatch` nor `*` renamed to match nobody."""

    def rename(m: re.Match[str]) -> str:
        if m.group("value").strip().lower().split("/", 1)[0] in (ROBOTS_AGENT, "*"):  # "mediawatch/1.2" names us too
            return m.group(0)
        return f"{m.group('field').rstrip(':')}: {_NOBODY}"

    return _AGENT_LINE.sub(rename, text)


@dataclass
class RobotsRules:
    """The parsed rules of one site; `parser=None` means allow everything (no file, 4xx).

    `blocked` means disallow everything for this run (RFC 9309 §2.3.1.3/4: a 5xx answer, an
    unreachable server or a timeout); `note` says why, in words for the run report."""

    parser: Protego | None = None
    note: str = ""
    blocked: bool = False
    cause: str = "robots_unreachable"  # FetchError kind of a blocked site: connect | timeout | private | robots_unreachable

    @classmethod
    def from_text(cls, text: str) -> RobotsRules:
        return cls(parser=Protego.parse(only_exact_groups(text)))

    @classmethod
    def allow_all(cls, note: str = "") -> RobotsRules:
        return cls(parser=None, note=note)

    @classmethod
    def disallow_all(cls, note: str, cause: str = "robots_unreachable") -> RobotsRules:
        """Unreadable robots.txt (5xx, unreachable, timeout): nothing may be fetched this run."""
        return cls(parser=None, note=note, blocked=True, cause=cause)

    def allowed(self, url: str) -> bool:
        """May we fetch `url`?"""
        if self.blocked:
            return False
        return True if self.parser is None else self.parser.can_fetch(url, ROBOTS_AGENT)

    def crawl_delay(self) -> float | None:
        """The Crawl-delay of our group (`mediawatch`, else `*`), in seconds, if the site sets one."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay is not None else None


# RFC 9309 §2.4: "crawlers SHOULD NOT use the cached version for more than 24 hours".
MAX_CACHE_HOURS = 24.0


class RobotsCache:
    """robots.txt files kept on disk between runs, each used for at most `max_age_s`.

    Only readable answers are kept: the file's text (2xx) or "" (4xx: no rules). An unreadable one (5xx,
    timeout) is never kept, so the next run asks again. A cache that cannot be read or written costs a
    request, never the run: the hourly pulse then reads robots.txt as the nightly does."""

    def __init__(self, folder: Path | str, max_age_s: float) -> None:
        self.folder = Path(folder)
        self.max_age_s = min(max_age_s, MAX_CACHE_HOURS * 3600)

    def _path(self, origin: str) -> Path:
        return self.folder / f"{hashlib.sha1(origin.encode()).hexdigest()}.txt"

    def get(self, origin: str) -> str | None:
        """The cached text for `origin` ("https://host[:port]"), or None when absent or too old."""
        path = self._path(origin)
        try:
            if time.time() - path.stat().st_mtime > self.max_age_s:
                return None
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        head, _, body = text.partition("\n")
        return body if head == origin else None  # the origin is written first: a hash collision reads nothing

    def put(self, origin: str, text: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path(origin), f"{origin}\n{text}")
        except OSError as exc:
            log.debug("robots.txt cache not written for %s: %s", origin, exc)
