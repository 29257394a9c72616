"""Database URLs as people write them, and never shown with their password (SPEC §4).

A password pasted into a URL often holds ``@``, ``:`` or ``/`` unencoded. SQLAlchemy's own
parser ends the password at the first ``@`` and takes the rest for the host, so both the
masked URL it printed (``***@ssWrongXYZ@host``) and the driver's "unknown host" message
carried the password's tail. Here the credentials end at the last ``@`` before the host, as
browsers and ``urllib`` read a URL; every URL boardpack connects to or shows goes through
:func:`database_url` and :func:`masked_url`, and any message about one through
:func:`without_password`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    import sqlalchemy as sa

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>.*)$", re.DOTALL)
UNREADABLE = "(an unreadable database URL)"


def _credentials(text: str) -> tuple[str, str, str | None, str] | None:
    """(scheme, user, password, host and the rest) of a URL with credentials, split at the
    last ``@``; None for a URL without them (a SQLite file, say)."""
    match = _SCHEME.match(text)
    if match is None:
        return None
    rest = match["rest"]
    if rest.startswith("/") or "@" not in rest:  # sqlite:///path: no user, no password
        return None
    userinfo, _, host = rest.rpartition("@")
    user, colon, password = userinfo.partition(":")
    return match["scheme"], unquote(user), unquote(password) if colon else None, host


def database_url(text: str) -> sa.URL:
    """The URL as its writer meant it, whatever characters the password holds (an encoded
    one, ``p%40ss``, stays as it is). Raises SQLAlchemy's ArgumentError for a non-URL."""
    import sqlalchemy as sa  # slow to import: only where a database is used

    parts = _credentials(text)
    if parts is None:
        return sa.make_url(text)
    scheme, user, password, host = parts
    userinfo = quote(user, safe="") + ("" if password is None else ":" + quote(password, safe=""))
    return sa.make_url(f"{scheme}://{userinfo}@{host}")


def masked_url(url: str | sa.URL) -> str:
    """A database URL fit to print: its password never, not even in part."""
    import sqlalchemy as sa

    try:
        parsed = url if isinstance(url, sa.URL) else database_url(url)
        return parsed.render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return UNREADABLE


def without_password(message: str, url: str | sa.URL) -> str:
    """``message`` (a driver's error, say) with ``url`` masked and its password, in any of
    its spellings, replaced by ``***``."""
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    message = message.replace(text, masked_url(url))
    parts = _credentials(text)
    password = None if parts is None else parts[2]
    if password:
        secret = str(password)
        for spelling in sorted({secret, quote(secret, safe=""), quote(secret)}, key=len)[::-1]:
            message = message.replace(spelling, "***")
    return message
