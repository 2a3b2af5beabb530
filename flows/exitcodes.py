"""The exit-code policy of every `mediawatch` command, in one place.

| code | meaning |
|---|---|
| 0 | the work ran; failures of single pages or outlets are in the report, not in the code |
| 1 | a check found problems (`sources check`), or an unexpected crash (a bug: it prints a traceback) |
| 2 | usage or configuration error: a wrong argument, setting, file or database URL — fix and rerun |
| 3 | the job failed: storage unusable (unreachable, corrupt, not upgraded), disk full, every source down |

`flows/cli.py` maps exceptions to these codes with `code_for`; commands raise, they do not pick numbers.
"""

from __future__ import annotations

import errno

import click

from mediawatch.errors import ConfigError, JobFailed, MediawatchError

OK = 0
PROBLEMS_FOUND = 1
USAGE = 2
JOB_FAILED = 3

EPILOG = ("Exit codes: 0 the work ran (page and outlet failures are reported, not fatal); "
          "1 a check found problems; 2 usage or configuration error; "
          "3 the job failed (database unusable, disk full, every source down).")


class UsageError(ConfigError):
    """A command-line argument is wrong (unknown source id, bad date, …); the message names it."""


class NightFailed(JobFailed):
    """The night collected nothing: every source failed (the run report says why for each)."""


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def code_for(exc: BaseException) -> int:
    """The exit code for an error that reached the command line."""
    if isinstance(exc, JobFailed) or is_disk_full(exc):
        return JOB_FAILED
    if isinstance(exc, MediawatchError | click.UsageError):
        return USAGE
    return PROBLEMS_FOUND
