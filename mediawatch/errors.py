"""The root of every package's small exception hierarchy.

Two families decide the exit code (the policy itself is in flows/exitcodes.py): a `ConfigError` is
something the person running the command must fix (a setting, a file, an argument); a `JobFailed`
is the environment failing the work (the database unreachable or corrupt, the disk full, every
source down). Any other `MediawatchError` counts as a usage/configuration error.
"""


class MediawatchError(Exception):
    """Something a person can act on; the message says what and what to do."""


class ConfigError(MediawatchError):
    """A settings value, sources file or label file is wrong; the message names the culprit."""


class JobFailed(MediawatchError):
    """The work could not be done for a reason outside the command line (storage, disk, network)."""


class DiskFull(JobFailed, OSError):
    """A file could not be written because its disk is full (or over its quota)."""
