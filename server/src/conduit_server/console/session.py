"""The console's session cookie: a signed, expiring token naming the session row (store/console_sessions.py), the
API key and the workspace it was opened with.

The signing secret lives in the data directory (`console_secret`, owner-only), created on first use, so sessions
survive a restart and every process sharing the data directory accepts them. The cookie holds no key material:
each request re-reads the session row and the key by id, so signing out, revoking the key (or disabling its
workspace) ends the session even for a copy of the cookie. A cookie of the older three-field format (no session
row) is refused: its holder signs in again."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "conduit_console"
SECRET_FILE = "console_secret"
_SALT = "conduit.console.session.v1"


def load_secret(data_dir: Path) -> str:
    """The data directory's console secret, created (mode 0600, exclusively) if missing."""
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another process may have created it an instant ago and still be writing
        value = path.read_text().strip()
        if value:
            return value
    raise RuntimeError(f"{path} is empty")


@dataclass(frozen=True, slots=True)
class SessionToken:
    session_id: str  # the console_sessions row: sign-out revokes it
    api_key_id: str
    workspace_id: str
    csrf: str  # per-session token every POST form must carry


class Sessions:
    """Signs and checks session tokens; a token older than `max_age_seconds` is refused."""

    def __init__(self, secret: str, max_age_seconds: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.max_age_seconds = int(max_age_seconds)

    def issue(self, session_id: str, api_key_id: str, workspace_id: str) -> tuple[str, SessionToken]:
        token = SessionToken(session_id, api_key_id, workspace_id, secrets.token_urlsafe(24))
        return self._serializer.dumps([token.session_id, token.api_key_id, token.workspace_id, token.csrf]), token

    def read(self, cookie: str | None) -> SessionToken | None:
        if not cookie:
            return None
        try:
            value = self._serializer.loads(cookie, max_age=self.max_age_seconds)
        except BadSignature:  # also SignatureExpired
            return None
        if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, str) for v in value)):
            return None  # also the older [api_key_id, workspace_id, csrf], which names no session row
        return SessionToken(value[0], value[1], value[2], value[3])
