"""Deliver digests and briefs: an archive folder per Jalali date, and e-mail (HTML + plain text)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from digests.errors import DeliveryError
from digests.records import Brief, Digest
from digests.render import render_html, render_json, render_markdown, render_text
from mediawatch.files import write_atomic
from mediawatch.records import DIGEST_FORMATS
from mediawatch.settings import Settings
from mediawatch.timeutil import jalali_iso

FORMATS = DIGEST_FORMATS
_RENDER = {"html": render_html, "md": render_markdown, "json": render_json}


def file_stem(doc: Digest | Brief) -> str:
    """`digest`, `brief-<group>` or `brief-<group>-weekly`."""
    if isinstance(doc, Brief):
        return f"brief-{doc.group}" + ("-weekly" if doc.weekly else "")
    return "digest"


def archive_dir(doc: Digest | Brief, root: Path) -> Path:
    """root/<Jalali date of the period's end, e.g. 1405-09-05>."""
    return Path(root) / jalali_iso(doc.period_end)


def archive(doc: Digest | Brief, root: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the document in each format under root/<jalali date>/; the written paths."""
    unknown = [f for f in formats if f not in _RENDER]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}: use html, md or json")
    folder = archive_dir(doc, root)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        # All or nothing: a reader never sees half a file; a full disk leaves no temporary file behind.
        paths.append(write_atomic(folder / f"{file_stem(doc)}.{fmt}", _RENDER[fmt](doc)))
    return paths


def build_message(doc: Digest | Brief, recipients: Sequence[str], sender: str) -> EmailMessage:
    """The e-mail: plain-text body with the HTML page as its alternative."""
    msg = EmailMessage()
    msg["Subject"] = doc.title
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Content-Language"] = "fa"
    msg.set_content(render_text(doc), charset="utf-8")
    msg.add_alternative(render_html(doc), subtype="html", charset="utf-8")
    return msg


def send_email(doc: Digest | Brief, recipients: Sequence[str], settings: Settings) -> None:
    """Send `doc` to `recipients` through the SMTP server named in settings."""
    recipients = checked_recipients(recipients, settings)
    send_message(build_message(doc, recipients, settings.mail_from), recipients, settings, f"«{doc.title}»")


def checked_recipients(recipients: Sequence[str], settings: Settings) -> list[str]:
    """The addresses, stripped; DeliveryError saying what to set when there are none, no SMTP server, or
    one is not an e-mail address."""
    recipients = [r.strip() for r in recipients if r.strip()]
    if not recipients:
        raise DeliveryError('no recipients: set MEDIAWATCH_RECIPIENTS, e.g. \'{"secretariat": "a@b.ir"}\'')
    if not settings.smtp_host:
        raise DeliveryError("no SMTP server: set MEDIAWATCH_SMTP_HOST (and _PORT, _USER, _PASSWORD)")
    for r in recipients:
        try:
            Address(addr_spec=r)
        except (ValueError, IndexError) as exc:
            raise DeliveryError(f"«{r}» in MEDIAWATCH_RECIPIENTS is not an e-mail address") from exc
    return recipients


def send_message(msg: EmailMessage, recipients: Sequence[str], settings: Settings, what: str) -> None:
    """One SMTP session (STARTTLS and login as configured) that sends `msg`; DeliveryError naming `what`."""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, smtp_password(settings))
            smtp.send_message(msg, to_addrs=list(recipients))
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(
            f"could not send {what} through {settings.smtp_host}:{settings.smtp_port}: {exc}; "
            "check MEDIAWATCH_SMTP_* settings"
        ) from exc


def smtp_password(settings: Settings) -> str:
    """MEDIAWATCH_SMTP_PASSWORD (the flows fill it in from a Prefect Secret block: flows/secrets.py)."""
    password = settings.smtp_password.get_secret_value()
    if not password:
        raise DeliveryError(
            f"no SMTP password for {settings.smtp_user}: set MEDIAWATCH_SMTP_PASSWORD or create the Prefect "
            "Secret block «mediawatch-smtp-password»"
        )
    return password


def recipients_for(settings: Settings, key: str) -> list[str]:
    """Addresses for "secretariat" or a working-group label, from MEDIAWATCH_RECIPIENTS."""
    return [a.strip() for a in settings.recipients.get(key, "").split(",") if a.strip()]
