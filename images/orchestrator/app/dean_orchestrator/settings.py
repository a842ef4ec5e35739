"""The service's environment contract, validated once at start.

`python -m dean_orchestrator.settings` checks the environment and exits non-zero with
every problem listed, so a misconfigured container stops at once instead of starting
workers that cannot serve.
"""
import os
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    jwt_secret_key: str
    pool_size: int
    max_overflow: int
    pool_timeout: int
    uvicorn_workers: int
    max_workers: int
    enable_cache: bool
    cache_ttl: int
    port: int
    host: str
    jwt_expire_minutes: int
    version: str

    def public(self) -> Dict[str, object]:
        """Everything but the secrets (URLs carry passwords)."""
        return {
            "database_pool_size": self.pool_size,
            "database_max_overflow": self.max_overflow,
            "database_pool_timeout": self.pool_timeout,
            "uvicorn_workers": self.uvicorn_workers,
            "max_workers": self.max_workers,
            "enable_cache": self.enable_cache,
            "cache_ttl": self.cache_ttl,
            "port": self.port,
            "host": self.host,
            "jwt_expire_minutes": self.jwt_expire_minutes,
            "version": self.version,
        }


class SettingsError(Exception):
    def __init__(self, problems: List[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _integer(env: Dict[str, str], name: str, default: Optional[int], minimum: int, problems: List[str]) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        if default is None:
            problems.append(f"{name} is required")
            return minimum
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        problems.append(f"{name} must be an integer (got {raw!r})")
        return minimum
    if value < minimum:
        problems.append(f"{name} must be at least {minimum} (got {value})")
    return value


def _boolean(env: Dict[str, str], name: str, default: bool, problems: List[str]) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    problems.append(f"{name} must be true or false (got {raw!r})")
    return default


def _url(env: Dict[str, str], name: str, schemes: List[str], problems: List[str]) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        problems.append(f"{name} is required")
        return ""
    scheme = urlsplit(raw).scheme
    if scheme not in schemes:
        problems.append(f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL (got scheme {scheme!r})")
    return raw


def load_settings(env: Optional[Dict[str, str]] = None) -> Settings:
    env = dict(os.environ if env is None else env)
    problems: List[str] = []
    database_url = _url(env, "DATABASE_URL", ["postgresql", "postgres", "postgresql+psycopg2"], problems)
    if database_url.startswith("postgres://"):
        # SQLAlchemy 1.4 only knows the postgresql:// spelling.
        database_url = "postgresql://" + database_url[len("postgres://"):]
    redis_url = _url(env, "REDIS_URL", ["redis", "rediss"], problems)
    jwt_secret_key = env.get("JWT_SECRET_KEY", "")
    if not jwt_secret_key:
        problems.append("JWT_SECRET_KEY is required")
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secret_key=jwt_secret_key,
        pool_size=_integer(env, "DATABASE_POOL_SIZE", 5, 1, problems),
        max_overflow=_integer(env, "DATABASE_MAX_OVERFLOW", 10, 0, problems),
        pool_timeout=_integer(env, "DATABASE_POOL_TIMEOUT", 30, 1, problems),
        uvicorn_workers=_integer(env, "UVICORN_WORKERS", 1, 1, problems),
        max_workers=_integer(env, "MAX_WORKERS", 4, 1, problems),
        enable_cache=_boolean(env, "ENABLE_CACHE", False, problems),
        cache_ttl=_integer(env, "CACHE_TTL", 300, 1, problems),
        port=_integer(env, "PORT", 8082, 1, problems),
        host=env.get("HOST", "0.0.0.0") or "0.0.0.0",
        jwt_expire_minutes=_integer(env, "JWT_EXPIRE_MINUTES", 60, 1, problems),
        version=env.get("DEAN_VERSION", "unknown"),
    )
    if settings.port > 65535:
        problems.append(f"PORT must be at most 65535 (got {settings.port})")
    if problems:
        raise SettingsError(problems)
    return settings


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        for problem in error.problems:
            print(f"dean-orchestrator: configuration error: {problem}", file=sys.stderr)
        return 2
    print(f"dean-orchestrator {settings.version}: configuration ok {settings.public()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
