"""Sending the digest by email through Prefect's email integration (prefect-email): its
``EmailServerCredentials`` (a block on a Prefect server, else made from the environment)
and its ``email_send_message``. Passwords live only in the block or the environment."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boardpack.digest import Digest
from core.environment import (
    DIGEST_FROM_VARIABLE,
    SMTP_HOST_VARIABLE,
    SMTP_PASSWORD_VARIABLE,
    SMTP_PORT_VARIABLE,
    SMTP_SECURITY_VARIABLE,
    SMTP_USERNAME_VARIABLE,
)
from core.errors import UsageError

if TYPE_CHECKING:
    from prefect_email import EmailServerCredentials

DEFAULT_SENDER = "boardpack@localhost"


@dataclass(frozen=True)
class SmtpServer:
    """The SMTP server $BOARDPACK_SMTP_* name, checked."""

    host: str
    port: int | None
    security: str  # STARTTLS, SSL or INSECURE
    username: str | None
    password: str


def smtp_from_environment() -> SmtpServer | None:
    """The SMTP server set in $BOARDPACK_SMTP_* (None when no host is set); a mistake in
    the settings is refused in one line. Cheap: prefect-email is not imported."""
    host = os.environ.get(SMTP_HOST_VARIABLE, "").strip()
    if not host:
        return None
    port = os.environ.get(SMTP_PORT_VARIABLE, "").strip()
    if port and not port.isdigit():
        raise UsageError(f"${SMTP_PORT_VARIABLE}: '{port}' is not a port number")
    security = os.environ.get(SMTP_SECURITY_VARIABLE, "STARTTLS").strip().upper()
    if security not in ("STARTTLS", "SSL", "INSECURE"):
        raise UsageError(f"${SMTP_SECURITY_VARIABLE}: use STARTTLS, SSL or INSECURE")
    username = os.environ.get(SMTP_USERNAME_VARIABLE) or None
    password = os.environ.get(SMTP_PASSWORD_VARIABLE, "")
    return SmtpServer(host, int(port) if port else None, security, username, password)


def credentials_from_environment() -> tuple[EmailServerCredentials, str] | None:
    """prefect-email's credentials for the SMTP server in $BOARDPACK_SMTP_* (None when no
    host is set) and the sender."""
    server = smtp_from_environment()
    if server is None:
        return None
    from prefect_email import EmailServerCredentials

    credentials = EmailServerCredentials(
        smtp_server=server.host,
        smtp_type=server.security,
        smtp_port=server.port,
        username=server.username,
        password=server.password,
    )
    return credentials, sender_address(server.username)


def sender_address(username: str | None = None) -> str:
    return os.environ.get(DIGEST_FROM_VARIABLE) or username or DEFAULT_SENDER


def message_arguments(digest: Digest, sender: str) -> dict[str, Any]:
    """What ``email_send_message`` is given: a plain-text and an HTML version."""
    return {
        "subject": digest.subject,
        "msg": digest.html(),
        "msg_plain": digest.text(),
        "email_from": sender,
        "email_to": digest.recipients,
    }


def send_digest(digest: Digest, credentials: EmailServerCredentials, sender: str) -> bool:
    """Send the digest to its recipients (outside a flow run); False when it has none."""
    if not digest.recipients:
        return False
    from prefect_email import email_send_message

    send: Any = email_send_message.fn  # the task's own function: no flow run needed
    asyncio.run(send(email_server_credentials=credentials, **message_arguments(digest, sender)))
    return True
