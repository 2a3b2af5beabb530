"""Accounts, sessions, CSRF and roles.

Passwords are argon2id hashes (argon2-cffi). A session is a random token: the cookie carries it signed
(itsdangerous, with a timestamp for expiry), the database only its SHA-256, so logout and disabling an
account end it at once. Every form carries the session's CSRF token (the login form a signed
double-submit token); every POST is checked before anything else runs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from mediawatch.settings import Settings
from mediawatch.timeutil import utcnow
from storage.workspace import UserRecord, Workspace

SESSION_COOKIE = "mw_session"
LOGIN_COOKIE = "mw_login"
SECRET_FILE = "web-secret-key"
# The shortest password `users add` accepts: with argon2 and login throttling, 10 characters resist guessing.
MIN_PASSWORD = 10

_hasher = PasswordHasher()  # argon2id, the library's maintained defaults (64 MiB, 3 passes)
# Verified against when the account does not exist, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify_password(user: UserRecord | None, password: str) -> bool:
    """True when `user` exists, is enabled and `password` is theirs (constant work either way)."""
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and not user.disabled


def secret_key(settings: Settings) -> str:
    """MEDIAWATCH_SECRET_KEY, or a random key made once and kept in the data dir (mode 0600)."""
    key = settings.secret_key.get_secret_value()
    if key:
        return key
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it just now: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Auth:
    """Session handling for one app (its settings, its signing key, its store)."""

    workspace: Workspace
    settings: Settings
    serializer: URLSafeTimedSerializer

    @classmethod
    def make(cls, workspace: Workspace, settings: Settings) -> Auth:
        return cls(workspace, settings, URLSafeTimedSerializer(secret_key(settings), salt="mediawatch-session"))

    @property
    def max_age(self) -> int:
        return int(self.settings.session_hours * 3600)

    # --- the request's origin ------------------------------------------------------------------
    def is_https(self, request: Request) -> bool:
        if request.url.scheme == "https":
            return True
        return self.settings.trust_proxy and request.headers.get("x-forwarded-proto", "").lower() == "https"

    def address(self, request: Request) -> str:
        """The client's address; behind a trusted proxy, the one the proxy appended to X-Forwarded-For."""
        if self.settings.trust_proxy:
            forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
            if forwarded:
                return forwarded[-1]
        return request.client.host if request.client else "?"

    def _cookie(self, response: Response, request: Request, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                            secure=self.is_https(request))

    # --- sessions ------------------------------------------------------------------------------
    def start(self, response: Response, request: Request, user: UserRecord) -> None:
        token = secrets.token_urlsafe(32)
        self.workspace.create_session(user.id, _token_hash(token), secrets.token_urlsafe(32),
                                      utcnow() + timedelta(seconds=self.max_age))
        self._cookie(response, request, SESSION_COOKIE, self.serializer.dumps(token), self.max_age)
        response.delete_cookie(LOGIN_COOKIE, path="/")

    def _token(self, request: Request) -> str | None:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            return str(self.serializer.loads(raw, max_age=self.max_age))
        except BadSignature:  # includes SignatureExpired
            return None

    def session(self, request: Request):  # -> SessionRecord | None
        token = self._token(request)
        return self.workspace.session(_token_hash(token)) if token else None

    def end(self, response: Response, request: Request) -> None:
        token = self._token(request)
        if token:
            self.workspace.end_session(_token_hash(token))
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=self.is_https(request))

    # --- the login form's CSRF token (no session yet): signed double submit ---------------------
    def login_token(self, request: Request) -> tuple[str, str | None]:
        """(the token for the form, a new cookie value to set or None when the browser has one)."""
        raw = request.cookies.get(LOGIN_COOKIE)
        if raw:
            try:
                return str(self.serializer.loads(raw, salt="mediawatch-login", max_age=3600)), None
            except BadSignature:
                pass
        token = secrets.token_urlsafe(32)
        return token, self.serializer.dumps(token, salt="mediawatch-login")

    def set_login_cookie(self, response: Response, request: Request, value: str) -> None:
        self._cookie(response, request, LOGIN_COOKIE, value, 3600)

    def login_token_ok(self, request: Request, sent: str) -> bool:
        raw = request.cookies.get(LOGIN_COOKIE)
        if not raw or not sent:
            return False
        try:
            token = str(self.serializer.loads(raw, salt="mediawatch-login", max_age=3600))
        except BadSignature:
            return False
        return _same(token, sent)

    # --- throttling ----------------------------------------------------------------------------
    def throttled(self, username: str, address: str) -> bool:
        """Too many failures for this name or from this address, counting the attempt being made (already
        recorded as failed): of N simultaneous guesses only the first `login_max_failures` get checked."""
        since = utcnow() - timedelta(minutes=self.settings.login_window_minutes)
        by_user, by_addr = self.workspace.login_failures(username, address, since)
        return max(by_user, by_addr) > self.settings.login_max_failures


def _same(expected: str, sent: str) -> bool:
    """Constant-time equality of two tokens; compared as UTF-8 bytes, since compare_digest raises TypeError
    on a str with non-ASCII characters (a forged token would have been a 500)."""
    return hmac.compare_digest(expected.encode(), sent.encode())


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and _same(expected, str(sent))


# --- roles ------------------------------------------------------------------------------------------
def can_change(user: UserRecord, group: str | None) -> bool:
    """May this person change an item of `group`? Secretariat and admin: anything; a chair: their own
    group's items only; a viewer: nothing."""
    if user.role in ("admin", "secretariat"):
        return True
    return user.role == "chair" and group is not None and group == user.group


def can_change_anything(user: UserRecord) -> bool:
    return user.role in ("admin", "secretariat", "chair")
