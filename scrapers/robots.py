"""robots.txt rules per site: allow/disallow and crawl-delay for our user agent."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

# The product token we answer to in robots.txt ("User-agent: mediawatch").
ROBOTS_AGENT = "mediawatch"


@dataclass
class RobotsRules:
    """The parsed rules of one site; `parser=None` means allow everything (no file, 4xx).

    `blocked` means disallow everything for this run (RFC 9309 §2.3.1.3/4: a 5xx answer, an
    unreachable server or a timeout); `note` says why, in words for the run report."""

    parser: RobotFileParser | None = None
    note: str = ""
    delay: float | None = None
    blocked: bool = False
    cause: str = "robots_unreachable"  # FetchError kind of a blocked site: connect | timeout | private | robots_unreachable

    @classmethod
    def from_text(cls, text: str) -> RobotsRules:
        parser = RobotFileParser()
        lines = text.splitlines()
        parser.parse(lines)
        return cls(parser=parser, delay=_crawl_delay(lines))

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
        return True if self.parser is None else self.parser.can_fetch(ROBOTS_AGENT, url)

    def crawl_delay(self) -> float | None:
        """The Crawl-delay for us (or for *), in seconds, if the site sets one."""
        return self.delay


def _crawl_delay(lines: list[str]) -> float | None:
    """Crawl-delay for our agent, else for '*' (the stdlib reads whole seconds only; sites write 0.5)."""
    delays: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        else:
            in_rules = True
            if key == "crawl-delay":
                try:
                    delay = float(value)
                except ValueError:
                    continue
                for agent in agents:
                    delays.setdefault(agent, delay)
    for agent, delay in delays.items():
        if agent != "*" and agent in ROBOTS_AGENT:
            return delay
    return delays.get("*")
