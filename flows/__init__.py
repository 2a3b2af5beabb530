"""Prefect wiring and the `mediawatch` command line.

Prefect reads its settings once, when first imported, so the defaults below are set here, before
any flow module imports it. Without a Prefect server, a flow run starts a temporary local API server;
on a small, busy machine that can take longer than Prefect's default 20 s, so allow two minutes.
Telemetry stays off: the committee's servers may have no internet. The stages' loggers
(`mediawatch.scrapers`, `mediawatch.nlp`, …; mediawatch.log) are Prefect's extra loggers, so their lines
appear with Prefect's, in the terminal and in each run's logs. The environment still wins.
"""

import os

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "mediawatch")
# A stage line logged outside a flow run (a command after its flows ended) stays in the terminal only.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
