"""The scrapers' exception hierarchy: every message names the URL or file and says what to do."""

from __future__ import annotations

from mediawatch.errors import ConfigError, MediawatchError


class ScraperError(MediawatchError):
    """Base of every error raised by scrapers/."""


class RegistryError(ConfigError):
    """sources.toml is malformed; the message names the file, the entry and the field."""


class DateError(ScraperError, ValueError):
    """A date string could not be read, or names a moment in the future (FutureDate)."""


class FutureDate(DateError):
    """A date that names a moment ahead of now (beyond the clock tolerance): the page's date is wrong, not unreadable."""


class ParseError(ScraperError):
    """An article page lacks a required field; names the URL and the field."""

    def __init__(self, url: str, field: str, detail: str = "") -> None:
        self.url = url
        self.field = field
        self.detail = detail
        msg = f"{url}: could not find the {field}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg + "; the site may have changed its markup — run `mediawatch sources check`")


class FetchError(ScraperError):
    """A request failed for good (after retries); `kind` says why, `status` the HTTP code if any."""

    def __init__(self, url: str, message: str, *, kind: str = "error", status: int | None = None) -> None:
        self.url = url
        self.kind = kind  # connect | timeout | http | too_large | redirect | private | robots | robots_unreachable | truncated | encoding
        self.status = status
        super().__init__(f"{url}: {message}")
