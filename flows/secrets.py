"""Secrets for the stages, looked up where Prefect is allowed: here in flows/, never in a stage.

The SMTP password comes from MEDIAWATCH_SMTP_PASSWORD, else from the Prefect Secret block
`mediawatch-smtp-password` (for deployments that keep secrets in Prefect). The stages only ever read
`Settings.smtp_password`; the flows and the CLI hand them settings with the password filled in.
"""

from __future__ import annotations

from typing import cast

from pydantic import SecretStr

from digests.alerts import WEBHOOK_SECRET_BLOCK
from digests.errors import DeliveryError
from mediawatch.settings import Settings

PREFECT_SECRET_BLOCK = "mediawatch-smtp-password"


def with_smtp_password(settings: Settings) -> Settings:
    """`settings` with the SMTP password filled in from the Prefect Secret block when the environment has
    none (and a user is set); DeliveryError naming both places when neither has it."""
    if not settings.smtp_user or settings.smtp_password.get_secret_value():
        return settings
    try:
        from prefect.blocks.system import Secret

        block = cast(Secret, Secret.load(PREFECT_SECRET_BLOCK))  # called outside async code: the block itself
        password = str(block.get())
    except Exception as exc:  # no block, no Prefect API: say which two places were looked at
        raise DeliveryError(
            f"no SMTP password for {settings.smtp_user}: set MEDIAWATCH_SMTP_PASSWORD or create the Prefect "
            f"Secret block «{PREFECT_SECRET_BLOCK}» ({exc})"
        ) from exc
    return settings.model_copy(update={"smtp_password": SecretStr(password)})


def with_webhook_url(settings: Settings) -> Settings:
    """`settings` with the alert webhook's URL from the Prefect Secret block `mediawatch-alert-webhook-url`
    when the environment has none and this runs inside a flow run; unchanged otherwise (no webhook)."""
    if settings.alert_webhook_url.get_secret_value().strip():
        return settings
    try:
        from prefect.blocks.system import Secret
        from prefect.context import FlowRunContext

        if FlowRunContext.get() is None:
            return settings
        block = cast(Secret, Secret.load(WEBHOOK_SECRET_BLOCK))  # called outside async code: the block itself
        url = str(block.get()).strip()
    except Exception:  # no such block: no webhook configured
        return settings
    return settings.model_copy(update={"alert_webhook_url": SecretStr(url)})
