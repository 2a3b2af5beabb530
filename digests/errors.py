"""The digests stage's exceptions."""

from mediawatch.errors import MediawatchError


class DigestError(MediawatchError):
    """A digest or brief could not be built or delivered."""


class DeliveryError(DigestError):
    """E-mail could not be sent; the message says which setting to fix."""
