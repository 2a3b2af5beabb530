"""The root of every package's small exception hierarchy."""


class MediawatchError(Exception):
    """Something a person can act on; the message says what and what to do."""


class ConfigError(MediawatchError):
    """A settings value, sources file or label file is wrong; the message names the culprit."""
