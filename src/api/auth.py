"""Sign-in and the caller's identity: the OAuth2 password flow issuing JWTs (PyJWT, HS256), and
the dependency that turns a bearer token back into the account and person it acts as.

Only identity comes from the token. What the person may do follows from the role grants and
appointments recorded as events, checked by the application on every command with the actor
built from the token, never from the request body.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import Depends, Form, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field

from api.account_cache import FORGOTTEN, AccountCache
from api.problems import problem_responses
from api.routing import resource_router
from api.thread_pool import shared_pool
from ledger.accounts import Account, Accounts
from ledger.settings import Settings

ISSUER = "assessment-ledger"
ALGORITHM = "HS256"
TOKEN_PATH = "/api/v1/token"
EXPIRED = "the token has expired; sign in again"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH)
router = resource_router(prefix="/api/v1", tags=["auth"], responses=problem_responses(401, 422))


class Token(BaseModel):
    """访问令牌 / An access token for the API."""

    access_token: str = Field(
        description="令牌 / the bearer token (a JWT)",
        examples=[
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhc3Nlc3NtZW50LWxlZGdlciIsInN1YiI6"
            "ImNsZXJrIiwicGVyc29uIjoiUzAwMDMiLCJpYXQiOjE3NDE1NzAyMDAsImV4cCI6MTc0MTU3MzgwMH0."
            "Mood2gPf58WBX4fg7QRh_wvsBKmMqGF95TTOFhpKpDk"
        ],
    )
    token_type: str = Field(description="令牌类型 / always `bearer`", examples=["bearer"])
    expires_in: int = Field(description="有效秒数 / seconds until it expires", examples=[3600])


def signing_key(settings: Settings) -> bytes:
    """The tokens' key: the configured secret, or a random one kept in `secret_file`."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    path: Path = settings.secret_file
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def issue_token(account: Account, key: bytes, minutes: int, now: datetime | None = None) -> str:
    """A signed token naming the account and its person, valid for `minutes`."""
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": account.username,
        "person": account.person_id,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


class SignInForm(BaseModel):
    """登录表单 / The OAuth2 password flow's form (RFC 6749 section 4.3): the fields and checks
    of FastAPI's `OAuth2PasswordRequestForm`, described here; only the user name and password
    are used."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"grant_type": "password", "username": "clerk", "password": "demo-password-2025"}
            ]
        }
    )

    grant_type: str | None = Field(
        default=None,
        pattern="^password$",
        description="授权类型 / the grant type: `password` when given (OAuth2 asks for it)",
        examples=["password"],
    )
    username: str = Field(description="用户名 / the account's user name", examples=["clerk"])
    password: str = Field(
        description="密码 / the account's password",
        examples=["demo-password-2025"],
        json_schema_extra={"format": "password"},
    )
    scope: str = Field(
        default="",
        description="权限范围 / OAuth2 scopes, separated by spaces (not used: what a person may "
        "do follows from their roles)",
        examples=[""],
    )
    client_id: str | None = Field(
        default=None,
        description="客户端编号 / an OAuth2 client id (not used)",
        examples=["dashboard"],
    )
    client_secret: str | None = Field(
        default=None,
        description="客户端密钥 / an OAuth2 client secret (not used)",
        examples=["not-used"],
        json_schema_extra={"format": "password"},
    )


@router.post(TOKEN_PATH.removeprefix("/api/v1"), summary="登录 / sign in (OAuth2 password flow)")
def sign_in(form: Annotated[SignInForm, Form()], request: Request) -> Token:
    """Exchange a user name and password for a bearer token."""
    account = _accounts(request).authenticate(form.username, form.password)
    if account is None:
        raise _unauthorised("wrong user name or password, or the account is disabled")
    settings: Settings = request.app.state.settings
    token = issue_token(account, request.app.state.signing_key, settings.token_minutes)
    return Token(access_token=token, token_type="bearer", expires_in=settings.token_minutes * 60)


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: the account, its person, and when it expires."""

    username: str
    person_id: str
    expires_at: float
    """Seconds since the epoch."""


class TokenVerifier:
    """Verifies bearer tokens, remembering the ones already verified.

    Verifying a signature and its claims with PyJWT costs about 0.3 ms here, on every request
    of a client that sends the same token for an hour. A token verified once with this
    verifier's key stays verified; only its expiry is checked again.
    """

    def __init__(self, key: bytes, remembered: int = 4096) -> None:
        self._key = key
        self._verified = functools.lru_cache(maxsize=remembered)(self._verify)

    def claims(self, token: str, now: float | None = None) -> TokenClaims:
        """The claims of a valid, unexpired token (401 otherwise)."""
        claims = self._verified(token)
        if (time.time() if now is None else now) >= claims.expires_at:
            raise _unauthorised(EXPIRED)
        return claims

    def _verify(self, token: str) -> TokenClaims:
        # A refusal raises, and lru_cache keeps no exceptions: a bad token is checked afresh.
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorised(EXPIRED) from None
        except jwt.InvalidTokenError:
            raise _unauthorised("the token is not valid") from None
        return TokenClaims(str(claims["sub"]), str(claims.get("person")), float(claims["exp"]))


async def current_account(
    token: Annotated[str, Depends(oauth2_scheme)], request: Request
) -> Account:
    """The enabled account a valid bearer token names (401 otherwise)."""
    # Async: with the token and the account remembered, nothing here waits, and a request is
    # spared a hop to the thread pool and back; only a forgotten account is read there.
    verifier: TokenVerifier = request.app.state.tokens
    claims = verifier.claims(token)
    cache: AccountCache = request.app.state.account_cache
    remembered = cache.remembered(claims.username)
    account = (
        await shared_pool().run(cache.read, claims.username)
        if remembered is FORGOTTEN
        else remembered
    )
    if account is None or account.person_id != claims.person_id:
        raise _unauthorised("the token's account is disabled or no longer exists")
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


class Me(BaseModel):
    """当前用户 / Who the token names."""

    username: str = Field(description="用户名 / the account's user name", examples=["zhangsan"])
    person_id: str = Field(description="人员编号 / the person it acts as", examples=["S0001"])


@router.get("/me", summary="当前用户 / who the token names", responses=problem_responses(401))
def read_me(account: CurrentAccount) -> Me:
    """The account and person the bearer token names."""
    return Me(username=account.username, person_id=account.person_id)
