"""The HTTP API of the orchestrator stand-in (contract: images/orchestrator/Dockerfile).

Every uvicorn worker process imports this module, so each has its own SQLAlchemy pool
(at most DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW connections) and its own Redis client.
"""
import datetime
import json
import logging
import os
import secrets
import socket
import sys
from typing import Any, Dict, Optional

import jwt
import redis
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError

from .passwords import verify_password
from .settings import SettingsError, load_settings

log = logging.getLogger("dean.orchestrator")
# uvicorn configures its own loggers; this one must not propagate into theirs.
_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
log.addHandler(_handler)
log.setLevel(logging.INFO)
log.propagate = False

try:
    settings = load_settings()
except SettingsError as error:
    for problem in error.problems:
        log.error("configuration error: %s", problem)
    sys.exit(2)

REPLICA = socket.gethostname()
AUTH_PREFIX = "auth:"
CACHE_PREFIX = "cache:trials:"

engine = create_engine(
    settings.database_url,
    pool_size=settings.pool_size,
    max_overflow=settings.max_overflow,
    pool_timeout=settings.pool_timeout,
    pool_pre_ping=True,
    # pg_stat_activity shows which replica and worker holds each connection.
    connect_args={"connect_timeout": 3, "application_name": f"dean-orchestrator {REPLICA} pid {os.getpid()}"},
)
cache = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3, health_check_interval=30)

app = FastAPI(title="DEAN orchestrator (stand-in)", version=settings.version)
log.info("worker %d of replica %s, version %s: %s", os.getpid(), REPLICA, settings.version, settings.public())


@app.middleware("http")
async def identify_replica(request: Request, call_next):
    try:
        response = await call_next(request)
    except Exception:  # noqa: BLE001 - the header must be on error responses too
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = JSONResponse({"detail": "internal server error"}, status_code=500)
    response.headers["X-Replica"] = REPLICA
    response.headers["X-Dean-Version"] = settings.version
    return response


def _reason(error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"{type(error).__name__}: {first_line}"[:300]


def _unavailable(what: str, error: Exception) -> HTTPException:
    log.warning("%s unavailable: %s", what, _reason(error))
    return HTTPException(status_code=503, detail=f"{what} unavailable: {_reason(error)}")


@app.get("/health")
def health():
    problems = []
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure makes the replica unhealthy
        problems.append(f"database: {_reason(error)}")
    try:
        cache.ping()
    except Exception as error:  # noqa: BLE001
        problems.append(f"redis: {_reason(error)}")
    body: Dict[str, Any] = {"status": "healthy", "version": settings.version, "replica": REPLICA}
    if problems:
        body.update(status="unhealthy", reason="; ".join(problems))
        return JSONResponse(body, status_code=503)
    return body


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def require_token(authorization: Optional[str] = Header(None)) -> Dict[str, Any]:
    """A Bearer JWT signed HS256 with JWT_SECRET_KEY. Tokens issued by /api/auth/login carry
    a `jti` whose session key `auth:<jti>` must still exist in Redis (flushing `auth:*`
    logs everyone out); tokens without a jti need only a valid signature."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise _unauthorized("missing bearer token")
    token = authorization[len("bearer "):].strip()
    try:
        claims = jwt.decode(token, settings.jwt_secret_key, algorithms=["HS256"])
    except jwt.PyJWTError as error:
        raise _unauthorized(f"invalid token: {error}")
    jti = claims.get("jti")
    if jti is not None:
        try:
            live = cache.exists(f"{AUTH_PREFIX}{jti}")
        except redis.RedisError as error:
            raise _unavailable("session store", error)
        if not live:
            raise _unauthorized("session expired or revoked")
    return claims


def _trial(row) -> Dict[str, Any]:
    def iso(value: Optional[datetime.datetime]) -> Optional[str]:
        return value.isoformat() if value is not None else None

    return {
        "id": row.id,
        "pattern_id": row.pattern_id,
        "fitness_score": row.fitness_score,
        "status": row.status,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


@app.get("/api/evolution/trials")
def list_trials(
    status: Optional[str] = Query(None, max_length=32),
    limit: int = Query(100, ge=1, le=1000),
    claims: Dict[str, Any] = Depends(require_token),
):
    cache_key = f"{CACHE_PREFIX}{status or '*'}:{limit}"
    if settings.enable_cache:
        try:
            cached = cache.get(cache_key)
        except redis.RedisError as error:
            raise _unavailable("cache", error)
        if cached is not None:
            return Response(cached, media_type="application/json", headers={"X-Cache": "HIT"})
    where = "WHERE status = :status" if status else ""
    parameters = {"status": status, "limit": limit}
    try:
        with engine.connect() as connection:
            total = connection.execute(text(f"SELECT count(*) FROM evolution_trials {where}"), parameters).scalar_one()
            rows = connection.execute(
                text(
                    "SELECT id, pattern_id, fitness_score, status, created_at, updated_at "
                    f"FROM evolution_trials {where} ORDER BY created_at DESC, id DESC LIMIT :limit"
                ),
                parameters,
            ).all()
    except ProgrammingError as error:
        raise _unavailable("database schema (are the migrations applied?)", error)
    except SQLAlchemyError as error:
        raise _unavailable("database", error)
    body = json.dumps({"total": total, "trials": [_trial(row) for row in rows]})
    if settings.enable_cache:
        try:
            cache.setex(cache_key, settings.cache_ttl, body)
        except redis.RedisError as error:
            log.warning("cache write failed: %s", _reason(error))
    return Response(body, media_type="application/json", headers={"X-Cache": "MISS" if settings.enable_cache else "OFF"})


class LoginRequest(BaseModel):
    username: str
    password: str


@app.post("/api/auth/login")
def login(credentials: LoginRequest):
    try:
        with engine.connect() as connection:
            user = connection.execute(
                text("SELECT id, password_hash, is_active FROM users WHERE username = :username"),
                {"username": credentials.username},
            ).first()
    except SQLAlchemyError as error:
        raise _unavailable("database", error)
    if user is None or not user.is_active or not verify_password(credentials.password, user.password_hash or ""):
        log.info("Failed login for %r", credentials.username)
        raise _unauthorized("invalid username or password")
    jti = secrets.token_hex(16)
    lifetime = datetime.timedelta(minutes=settings.jwt_expire_minutes)
    now = datetime.datetime.now(datetime.timezone.utc)
    token = jwt.encode(
        {"sub": credentials.username, "uid": user.id, "jti": jti, "iat": now, "exp": now + lifetime},
        settings.jwt_secret_key,
        algorithm="HS256",
    )
    try:
        cache.setex(f"{AUTH_PREFIX}{jti}", lifetime, json.dumps({"user_id": user.id, "username": credentials.username}))
    except redis.RedisError as error:
        raise _unavailable("session store", error)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO audit_log (user_id, action) VALUES (:uid, 'login')"), {"uid": user.id})
    except SQLAlchemyError as error:
        log.warning("audit write failed: %s", _reason(error))
    log.info("Successful login for %r", credentials.username)
    return {"access_token": token, "token_type": "bearer", "expires_in": int(lifetime.total_seconds())}


@app.get("/api/auth/ping")
def auth_ping():
    return {"status": "ok"}


@app.get("/api/runtime")
def runtime(claims: Dict[str, Any] = Depends(require_token)):
    """This worker's effective settings (no secrets) and pool state, for tests and operators."""
    return {
        "replica": REPLICA,
        "pid": os.getpid(),
        "settings": settings.public(),
        "pool": {"size": engine.pool.size(), "checked_out": engine.pool.checkedout(), "overflow": engine.pool.overflow()},
    }
