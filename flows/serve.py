"""Schedules (Asia/Tehran): nightly 02:00 every day; digest 07:00 Saturday–Wednesday; weekly briefs
Saturday 07:30; retrain Friday 03:00; the pulse at half past every hour. `mediawatch serve` serves all
five from one process; prefect.yaml declares the same deployments for a Prefect server with workers on
several machines.
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from flows.digest import morning_digest, weekly_briefs
from flows.nightly import nightly
from flows.pulse import pulse
from flows.retrain import retrain

TZ = "Asia/Tehran"
# cron day-of-week: 0 = Sunday … 6 = Saturday; the Iranian working week runs Saturday to Wednesday.
SCHEDULES = {
    "nightly": "0 2 * * *",
    "morning-digest": "0 7 * * 6,0,1,2,3",
    "weekly-briefs": "30 7 * * 6",
    # Friday (weekend) after the night's run: a promoted model re-analyses the archive on Saturday's night.
    "retrain": "0 3 * * 5",
    # Early warning (issue 14): at half past, clear of the nightly's 02:00 start and the digest's 07:00, so
    # the 06:30 pulse (the first after quiet hours) sends what was held and feeds the morning digest.
    "pulse": "30 * * * *",
}


def deployments():
    """The five deployments, each limited to one concurrent run so nights never overlap.

    The database comes from MEDIAWATCH_DB_URL in the serving process's environment, never from a
    deployment parameter: parameters are stored and shown by Prefect, and the URL may hold a password.
    """
    params: dict = {}
    return [
        nightly.to_deployment(name="nightly", schedules=[Cron(SCHEDULES["nightly"], timezone=TZ)],
                              parameters=params, concurrency_limit=1, tags=["mediawatch"]),
        morning_digest.to_deployment(name="morning-digest",
                                     schedules=[Cron(SCHEDULES["morning-digest"], timezone=TZ)],
                                     parameters=params, concurrency_limit=1, tags=["mediawatch"]),
        weekly_briefs.to_deployment(name="weekly-briefs",
                                    schedules=[Cron(SCHEDULES["weekly-briefs"], timezone=TZ)],
                                    parameters=params, concurrency_limit=1, tags=["mediawatch"]),
        retrain.to_deployment(name="retrain", schedules=[Cron(SCHEDULES["retrain"], timezone=TZ)],
                              parameters=params, concurrency_limit=1, tags=["mediawatch"]),
        pulse.to_deployment(name="pulse", schedules=[Cron(SCHEDULES["pulse"], timezone=TZ)],
                            parameters=params, concurrency_limit=1, tags=["mediawatch"]),
    ]


def serve_all() -> None:
    """Serve every deployment from this process until interrupted."""
    serve(*deployments())
