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

    @classmethod
    def from_text(cls, text: str) -> RobotsRules:
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return cls(parser=parser)

    @classmethod
    def allow_all(cls, note: str = "") -> RobotsRules:
        return cls(parser=None, note=note)

    def allowed(self, url: str) -> bool:
        """May we fetch `url`?"""
        return True if self.parser is None else self.parser.can_fetch(ROBOTS_AGENT, url)

    def crawl_delay(self) -> float | None:
        """The Crawl-delay for us (or for *), in seconds, if the site sets one."""
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(ROBOTS_AGENT)
        return float(delay) if delay is not None else None
