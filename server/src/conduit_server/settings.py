"""One Settings object, read from the environment once at the edge (CLI / app factory) and passed down."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from conduit_server import PIPELINE_VERSION, __version__
from conduit_server.domain.redact import MASK, redact_url
from conduit_server.logs import LOG_FORMATS

_SECRET_FIELDS = frozenset({"bootstrap_api_key", "bootstrap_webhook_secret", "llm_api_key", "metrics_token"})
_URL_FIELDS = frozenset({"database_url", "storage_url", "llm_url"})
_SECRET_OPTION_WORDS = ("key", "secret", "token", "password", "credential")

DEFAULT_WEBHOOK_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


class SettingsError(ValueError):
    """A configuration value could not be parsed."""


def _is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str | None = None  # None: start the embedded PostgreSQL under data_dir/pg
    storage_url: str | None = None  # None: data_dir/media on the local filesystem
    storage_options: Mapping[str, str] = field(default_factory=dict)
    models_dir: Path | None = None  # None: data_dir/models
    asr_model: Path | None = None  # a CTranslate2 Whisper model directory; None: the bundled Whisper base
    asr_beam_size: int = 1  # 1 = greedy decoding (the measured default); 5 for slightly better accuracy, 1.4x slower
    asr_filler_prompt: bool = True  # prompt Whisper so "um"/"uh" get transcribed (docs/metrics.md, filled pauses)
    # limits (docs/api.md §16(e), §10)
    max_upload_bytes: int = 2 * 1024**3
    max_media_seconds: float = 4 * 3600.0
    min_speech_seconds: float = 10.0
    max_json_bytes: int = 1024 * 1024
    retention_days: int = 180
    purge_grace_days: float = 7.0
    psychometrics_ttl_days: float = 7.0
    # retention of bookkeeping rows (docs/data.md); swept by the workers' maintenance loop
    job_events_retention_days: float = 30.0  # events of finished jobs
    webhook_log_retention_days: float = 30.0  # delivered/failed webhook events and their attempts
    retention_sweep_seconds: float = 3600.0
    entity_threshold: float | None = None  # None: the pipeline's documented default
    # rate limits (docs/api.md §16(g))
    rate_limit_per_minute: int = 600
    # abuse limits (issue 10): per API key / workspace quotas answer 429 `rate_limited`
    max_concurrent_uploads: int = 4  # uploads in flight per API key
    max_open_streams: int = 20  # open SSE job streams per API key
    max_queued_jobs: int = 1000  # jobs waiting in the queue per workspace
    auth_failures_per_minute: int = 20  # failed authentications per client address
    min_free_disk_bytes: int = 1024**3  # refuse uploads (507) when the data volume would drop below this
    # slow clients (issue 10): a connection that sends its headers or body too slowly is closed / answered 408
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0  # longest pause between two pieces of a request body
    keep_alive_seconds: float = 5.0
    # workers
    run_workers: bool = True
    analysis_concurrency: int = 1
    webhook_concurrency: int = 8
    stalled_after_seconds: float = 15.0
    heartbeat_seconds: float = 5.0
    # webhooks (docs/api.md §16(a), §16(h))
    webhook_schedule: tuple[float, ...] = DEFAULT_WEBHOOK_SCHEDULE
    webhook_timeout_seconds: float = 15.0
    webhook_allow_loopback: bool | None = None  # None: only an embedded server bound to loopback allows it
    webhook_allow_networks: tuple[str, ...] = ()
    # bootstrap (scripted deployments)
    bootstrap_api_key: str | None = None
    bootstrap_webhook_secret: str | None = None
    llm_provider: str = "openai"  # only fills report meta.render.provider for the deterministic renderer
    # optional narrative renderer (docs/metrics.md): an OpenAI-compatible endpoint; off while llm_url is None
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout_seconds: float = 30.0
    log_format: str = "text"  # "text" or "json": one JSON object per line, for log shippers (logs.py)
    # Prometheus metrics (docs/operations.md): GET /metrics, no API key; a token locks it down
    metrics_enabled: bool = True
    metrics_token: str | None = field(default=None, repr=False)  # when set: Authorization: Bearer <token>
    metrics_port: int | None = None  # `conduit worker` only: serve /metrics on CONDUIT_HOST:this port
    # web console at /console (docs/console.md); None: on for an embedded server (its own PostgreSQL) only
    console_enabled: bool | None = None
    console_session_hours: float = 12.0  # a console sign-in lasts this long
    version: str = __version__

    @property
    def model_version(self) -> str:
        return f"conduit-{self.version}/{PIPELINE_VERSION}"

    def __repr__(self) -> str:
        """Every field with credentials masked: settings end up in logs and tracebacks."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and f.name in _SECRET_FIELDS:
                value = MASK
            elif value is not None and f.name in _URL_FIELDS:
                value = redact_url(value)
            elif f.name == "storage_options":
                value = {k: MASK if any(w in k.lower() for w in _SECRET_OPTION_WORDS) else v for k, v in value.items()}
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def allows_loopback_webhooks(self) -> bool:
        """Loopback webhook receivers are a development convenience: allowed when the operator says so, else only
        for an embedded server (its own PostgreSQL) that listens on loopback, never for a public or clustered one."""
        if self.webhook_allow_loopback is not None:
            return self.webhook_allow_loopback
        return self.database_url is None and _is_loopback_host(self.host)

    @property
    def console_on(self) -> bool:
        """The web console is served when the operator says so, else only by an embedded server."""
        return self.console_enabled if self.console_enabled is not None else self.database_url is None

    def resolved_models_dir(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}

        def text(name: str, key: str) -> None:
            if env.get(name):
                values[key] = env[name]

        def number(name: str, key: str, kind: type) -> None:
            raw = env.get(name)
            if raw:
                try:
                    values[key] = kind(raw)
                except ValueError as exc:
                    raise SettingsError(f"{name} must be a {kind.__name__}, got {raw!r}") from exc

        def flag(name: str, key: str) -> None:
            raw = env.get(name)
            if raw:
                values[key] = raw.strip().lower() in {"1", "true", "yes", "on"}

        if env.get("CONDUIT_DATA_DIR"):
            values["data_dir"] = Path(env["CONDUIT_DATA_DIR"])
        text("CONDUIT_DATABASE_URL", "database_url")
        text("CONDUIT_STORAGE_URL", "storage_url")
        if env.get("CONDUIT_MODELS_DIR"):
            values["models_dir"] = Path(env["CONDUIT_MODELS_DIR"])
        if env.get("CONDUIT_ASR_MODEL"):
            values["asr_model"] = Path(env["CONDUIT_ASR_MODEL"])
        text("CONDUIT_HOST", "host")
        number("CONDUIT_PORT", "port", int)
        number("CONDUIT_ASR_BEAM_SIZE", "asr_beam_size", int)
        flag("CONDUIT_ASR_FILLER_PROMPT", "asr_filler_prompt")
        number("CONDUIT_MAX_UPLOAD_BYTES", "max_upload_bytes", int)
        number("CONDUIT_MAX_MEDIA_SECONDS", "max_media_seconds", float)
        number("CONDUIT_MIN_SPEECH_SECONDS", "min_speech_seconds", float)
        number("CONDUIT_RETENTION_DAYS", "retention_days", int)
        number("CONDUIT_PURGE_GRACE_DAYS", "purge_grace_days", float)
        number("CONDUIT_JOB_EVENTS_RETENTION_DAYS", "job_events_retention_days", float)
        number("CONDUIT_WEBHOOK_LOG_RETENTION_DAYS", "webhook_log_retention_days", float)
        number("CONDUIT_ENTITY_THRESHOLD", "entity_threshold", float)
        number("CONDUIT_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute", int)
        number("CONDUIT_MAX_CONCURRENT_UPLOADS", "max_concurrent_uploads", int)
        number("CONDUIT_MAX_OPEN_STREAMS", "max_open_streams", int)
        number("CONDUIT_MAX_QUEUED_JOBS", "max_queued_jobs", int)
        number("CONDUIT_AUTH_FAILURES_PER_MINUTE", "auth_failures_per_minute", int)
        number("CONDUIT_MIN_FREE_DISK_BYTES", "min_free_disk_bytes", int)
        number("CONDUIT_HEADER_TIMEOUT_SECONDS", "header_timeout_seconds", float)
        number("CONDUIT_BODY_TIMEOUT_SECONDS", "body_timeout_seconds", float)
        number("CONDUIT_KEEP_ALIVE_SECONDS", "keep_alive_seconds", float)
        number("CONDUIT_WEBHOOK_TIMEOUT_SECONDS", "webhook_timeout_seconds", float)
        number("CONDUIT_STALLED_AFTER_SECONDS", "stalled_after_seconds", float)
        # distributed mode (issue 6): worker heartbeat and per-process concurrency are deployment knobs
        number("CONDUIT_HEARTBEAT_SECONDS", "heartbeat_seconds", float)
        number("CONDUIT_ANALYSIS_CONCURRENCY", "analysis_concurrency", int)
        number("CONDUIT_WEBHOOK_CONCURRENCY", "webhook_concurrency", int)
        flag("CONDUIT_WEBHOOK_ALLOW_LOOPBACK", "webhook_allow_loopback")
        if env.get("CONDUIT_WEBHOOK_SCHEDULE"):
            try:
                values["webhook_schedule"] = tuple(float(x) for x in env["CONDUIT_WEBHOOK_SCHEDULE"].split(","))
            except ValueError as exc:
                raise SettingsError("CONDUIT_WEBHOOK_SCHEDULE must be comma-separated seconds") from exc
        if env.get("CONDUIT_WEBHOOK_ALLOW_NETWORKS"):
            values["webhook_allow_networks"] = tuple(
                x.strip() for x in env["CONDUIT_WEBHOOK_ALLOW_NETWORKS"].split(",") if x.strip()
            )
        text("CONDUIT_BOOTSTRAP_API_KEY", "bootstrap_api_key")
        text("CONDUIT_BOOTSTRAP_WEBHOOK_SECRET", "bootstrap_webhook_secret")
        text("CONDUIT_LLM_PROVIDER", "llm_provider")
        text("CONDUIT_LLM_URL", "llm_url")
        text("CONDUIT_LLM_MODEL", "llm_model")
        text("CONDUIT_LLM_API_KEY", "llm_api_key")
        number("CONDUIT_LLM_TIMEOUT_SECONDS", "llm_timeout_seconds", float)
        text("CONDUIT_LOG_FORMAT", "log_format")
        flag("CONDUIT_METRICS_ENABLED", "metrics_enabled")
        text("CONDUIT_METRICS_TOKEN", "metrics_token")
        number("CONDUIT_METRICS_PORT", "metrics_port", int)
        flag("CONDUIT_CONSOLE_ENABLED", "console_enabled")
        number("CONDUIT_CONSOLE_SESSION_HOURS", "console_session_hours", float)
        storage_options = {
            k.removeprefix("CONDUIT_STORAGE_").lower(): v
            for k, v in env.items()
            if k.startswith("CONDUIT_STORAGE_") and k != "CONDUIT_STORAGE_URL"
        }
        if storage_options:
            values["storage_options"] = storage_options
        values.update(overrides)
        if values.get("llm_url") and not values.get("llm_model"):
            raise SettingsError("CONDUIT_LLM_MODEL is required when CONDUIT_LLM_URL is set")
        if float(values.get("llm_timeout_seconds", 30.0)) <= 0:  # type: ignore[arg-type]
            raise SettingsError("CONDUIT_LLM_TIMEOUT_SECONDS must be > 0")
        if values.get("log_format", "text") not in LOG_FORMATS:
            raise SettingsError(f"CONDUIT_LOG_FORMAT must be {' or '.join(LOG_FORMATS)}, got {values['log_format']!r}")
        return cls(**values)  # type: ignore[arg-type]
