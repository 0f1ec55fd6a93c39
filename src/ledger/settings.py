"""Settings from the environment (prefix LEDGER_), read once per process through get_settings()."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/ledger.sqlite3"


class Settings(BaseSettings):
    """Where the events live and where the API listens."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """sqlite:///relative/path, sqlite:////absolute/path, postgresql://user@host:port/db, or memory://"""

    host: str = "127.0.0.1"
    port: int = 8000

    log_origin: str = "assessment-ledger.local/center"
    """The Merkle log's name in its checkpoints (C2SP origin line); also its key's name."""

    key_dir: Path = Path("var/keys")
    """Where the log's signing keys live: outside the database, never in it."""

    witness_urls: list[str] = []
    """Witnesses to ask for a cosignature when a checkpoint is published (JSON list)."""

    jwt_secret: SecretStr | None = None
    """The key that signs the API's tokens; unset: a random key kept in `secret_file`."""

    secret_file: Path = Path("var/jwt-secret")
    """Where the generated token key is kept (created on first use, mode 0600)."""

    token_minutes: int = 60
    """How long an API token is valid."""

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("sqlite", "postgresql", "postgres", "memory"):
            raise ValueError(
                f"LEDGER_DATABASE_URL scheme {scheme!r} is not sqlite, postgresql or memory"
            )
        return value

    @property
    def store(self) -> str:
        """Which store: sqlite, postgres or memory."""
        scheme = urlsplit(self.database_url).scheme
        return "postgres" if scheme in ("postgresql", "postgres") else scheme

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file (sqlite:///var/x is relative to the working directory)."""
        return Path(unquote(urlsplit(self.database_url).path)[1:])

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's environment for this store, with our recorders selected."""
        if self.store == "memory":
            return {"PERSISTENCE_MODULE": "ledger.stores:LedgerPOPOFactory"}
        if self.store == "sqlite":
            return {
                "PERSISTENCE_MODULE": "ledger.stores:LedgerSQLiteFactory",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "10",
            }
        parts = urlsplit(self.database_url)
        return {
            "PERSISTENCE_MODULE": "ledger.stores:LedgerPostgresFactory",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "ledger",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_LOCK_TIMEOUT": "5",
            # Fail within seconds, not the library's 30, when the server is down.
            "POSTGRES_CONNECT_TIMEOUT": "5",
        }


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()
