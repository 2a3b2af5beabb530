"""robots.txt rules per site: allow/disallow and crawl-delay for our user agent."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

# The product token we answer to in robots.txt ("User-agent: mediawatch").
ROBOTS_AGENT = "mediawatch"


@dataclass
class RobotsRules:
    """The parsed rules of one site; `parser=None` means allow everything (no or unreadable file)."""

    parser: RobotFileParser | None = None
    note: str = ""
    delay: float | None = None

    @classmethod
    def from_text(cls, text: str) -> RobotsRules:
        parser = RobotFileParser()
        lines = text.splitlines()
        parser.parse(lines)
        return cls(parser=parser, delay=_crawl_delay(lines))

    @classmethod
    def allow_all(cls, note: str = "") -> RobotsRules:
        return cls(parser=None, note=note)

    def allowed(self, url: str) -> bool:
        """May we fetch `url`?"""
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
