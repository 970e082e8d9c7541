"""Every setting of the server, read from ``CLOPOS_*`` environment variables (see README, "Settings")."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "clopos.sqlite3"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLOPOS_", extra="ignore", case_sensitive=False)

    database_url: str = Field(default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    secret_key: str | None = None
    redis_url: str | None = None
    token_ttl: int = Field(default=3600, ge=60, le=30 * 24 * 3600)
    idempotency_ttl: int = Field(default=86400, ge=60, le=30 * 24 * 3600)
    events_retention_days: int = Field(default=30, ge=1, le=3650)  # the event log (docs/events.md)
    error_format: Literal["list", "documented"] = "list"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    rate_limits: Literal["on", "off"] = "on"
    rate_v1_per_minute: int = Field(default=100, ge=0)
    rate_v1_per_hour: int = Field(default=1000, ge=0)
    rate_auth_per_minute: int = Field(default=60, ge=0)
    rate_failed_per_minute: int = Field(default=600, ge=0)
    rate_integrator_per_minute: int = Field(default=300, ge=0)
    rate_key_prefix: str = Field(default="clopos:rate", min_length=1, max_length=200)  # Redis key prefix
    revocation_refresh_seconds: float = Field(default=1.0, gt=0, le=60)
    # Bounded waits (docs/deploy.md, "Timeouts"): every one ends in the JSON 503 with Retry-After.
    db_statement_timeout: float = Field(default=5.0, gt=0, le=600)  # one statement; SQLite: its busy wait
    db_lock_timeout: float = Field(default=2.0, gt=0, le=600)  # waiting for a row or table lock
    db_pool_timeout: float = Field(default=2.0, gt=0, le=60)  # connecting, and waiting for a pooled one
    request_timeout: float = Field(default=10.0, gt=0, le=600)  # the whole request, until its answer begins
    shutdown_grace: float = Field(default=10.0, ge=0, le=600)  # in-flight requests finish within it
    trusted_proxies: str = ""  # addresses or networks, comma-separated, whose X-Forwarded-* are believed
    metrics: Literal["on", "off"] = "on"
    metrics_token: str | None = None  # when set, GET /metrics wants "Authorization: Bearer <token>"
    # Webhooks (docs/webhooks.md): http:// targets and private/loopback addresses are refused unless
    # allowed (`serve --demo` allows both unless they are set); the retry schedule after the first try, in
    # seconds, comma-separated (tests shorten it); how often the dispatcher looks for due work.
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    webhook_retry_schedule: str = Field(
        default="5,300,1800,7200,18000,36000,36000", pattern=r"^\s*[0-9.]+(\s*,\s*[0-9.]+)*\s*$"
    )
    webhook_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    webhook_disable_after_seconds: float = Field(default=5 * 24 * 3600, gt=0)  # all failed this long
    webhook_dispatcher: Literal["on", "off"] = "on"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept plain ``postgresql://`` and ``sqlite://`` URLs and pick the async driver for them."""
        if url.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + url.split("://", 1)[1]
        return url

    @field_validator("log_level", "log_format", "metrics", "rate_limits", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        """``CLOPOS_LOG_LEVEL=INFO`` is as good as ``info``."""
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Refuse a misspelt address at start, not at the first forwarded request."""
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
        return value

    @property
    def proxy_networks(self) -> list[IPNetwork]:
        parts = (part.strip() for part in self.trusted_proxies.split(","))
        return [ipaddress.ip_network(part, strict=False) for part in parts if part]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_workers(self) -> None:
        """Several workers on SQLite without Redis would silently split limits and live events."""
        if self.workers > 1 and self.is_sqlite and not self.redis_url:
            raise ValueError(
                "CLOPOS_WORKERS > 1 needs PostgreSQL or CLOPOS_REDIS_URL: with SQLite and no Redis, rate "
                "limits, caches and live events would diverge between workers. Run one worker."
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()
