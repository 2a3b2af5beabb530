"""Each e-mail of the morning flow is its own retried Prefect task: a refused digest does not stop the briefs."""

from __future__ import annotations

import email
import json
import threading

import pytest

from tests.flows.conftest import DEMO_DAY
from tests.smtp import smtp_server

pytestmark = pytest.mark.slow

REFUSED = "dabir@rasht.example"


class Inbox:
    """An SMTP server's handler that refuses one address (a full mailbox) and keeps the rest."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.refused_tries = 0
        self.delivered: dict[str, list[str]] = {}  # recipient → subjects

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address == REFUSED:
            with self.lock:
                self.refused_tries += 1
            return "550 5.2.2 mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.delivered.setdefault(rcpt, []).append(str(msg["Subject"]))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    with smtp_server(inbox) as port:
        yield inbox, port


def test_a_refused_digest_email_does_not_stop_the_chairs_briefs(prefect_harness, smtp, tmp_path, monkeypatch):
    import flows.digest as digest_flow
    from mediawatch.settings import get_settings

    inbox, port = smtp
    chairs = {"urban_services": "khadamat@rasht.example", "civil_works_traffic": "omran@rasht.example"}
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                       "MAIL_FROM": "mediawatch@rasht.example",
                       "RECIPIENTS": json.dumps({"secretariat": REFUSED, **chairs})}.items():
        monkeypatch.setenv(f"MEDIAWATCH_{key}", value)
    get_settings.cache_clear()
    monkeypatch.setattr(digest_flow.send_document, "retry_delay_seconds", [0, 0])  # Prefect's retries, without the wait
    try:
        state = digest_flow.morning_digest(day=DEMO_DAY.isoformat(), db_url=f"sqlite:///{tmp_path / 'mw.sqlite'}",
                                           out_dir=str(tmp_path / "out"), send=True, return_state=True)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert state.is_failed()  # not silently: the flow run says which e-mail did not go
    message = str(state.result(raise_on_failure=False))
    assert "1 e-mail(s) not sent" in message and "digest:" in message and "mailbox full" in message
    assert inbox.refused_tries == 1 + digest_flow.MAIL_RETRIES  # retried as its own task
    # Every chair with an address got their brief, and only that one.
    assert set(inbox.delivered) == set(chairs.values())
    assert all(len(subjects) == 1 for subjects in inbox.delivered.values())
    assert (tmp_path / "out").is_dir()  # the documents were archived before any e-mail


def test_the_smtp_password_comes_from_the_env_else_the_prefect_secret_block(prefect_harness, tmp_path):
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    from digests.errors import DeliveryError
    from flows.secrets import PREFECT_SECRET_BLOCK, with_smtp_password
    from mediawatch.settings import Settings

    settings = Settings(data_dir=tmp_path, smtp_user="mw")
    with pytest.raises(DeliveryError, match=f"MEDIAWATCH_SMTP_PASSWORD or create the Prefect Secret block «{PREFECT_SECRET_BLOCK}»"):
        with_smtp_password(settings)
    Secret(value="from-the-block").save(PREFECT_SECRET_BLOCK, overwrite=True)
    try:
        assert with_smtp_password(settings).smtp_password.get_secret_value() == "from-the-block"
    finally:
        Secret.delete(PREFECT_SECRET_BLOCK)  # the harness is shared by the session's other tests
    env = settings.model_copy(update={"smtp_password": SecretStr("from-the-env")})
    assert with_smtp_password(env).smtp_password.get_secret_value() == "from-the-env"


@pytest.mark.parametrize("deployment", ["morning-digest", "weekly-briefs"])
def test_the_scheduled_digest_and_briefs_are_emailed(deployment, prefect_harness, tmp_path, monkeypatch):
    """The scheduled runs take their parameters from prefect.yaml: they e-mail the documents. They ran with
    `send=False` (the flow's default), so the secretariat and the chairs got nothing however SMTP was set."""
    from flows.serve import deployment_specs, load_flow
    from mediawatch.settings import get_settings

    [spec] = [s for s in deployment_specs() if s.name == deployment]
    inbox = Inbox()
    chair = "khadamat@rasht.example"
    with smtp_server(inbox) as port:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false",
                           "MAIL_FROM": "mediawatch@rasht.example",
                           "RECIPIENTS": json.dumps({"secretariat": "office@rasht.example", "urban_services": chair})
                           }.items():
            monkeypatch.setenv(f"MEDIAWATCH_{key}", value)
        get_settings.cache_clear()
        try:
            load_flow(spec.entrypoint)(**{**spec.parameters, "day": DEMO_DAY.isoformat(),
                                          "db_url": f"sqlite:///{tmp_path / 'mw.sqlite'}",
                                          "out_dir": str(tmp_path / "out")})
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()
    assert chair in inbox.delivered  # the chair's brief, daily or weekly
    if deployment == "morning-digest":
        assert "office@rasht.example" in inbox.delivered  # the secretariat's digest
