"""The relational schema (PostgreSQL only). Migrations in `migrations/` create exactly these tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

TS = DateTime(timezone=True)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("webhook_secret", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="false"),
    Column("created_at", TS, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("created_at", TS, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex of the key
    Column("prefix", String(16), nullable=False),
    Column("label", String(200)),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
)

# A web console sign-in (console/session.py): the signed cookie names its row, every console request checks the
# row is live, and sign-out revokes it, so a copied cookie dies with the sign-out (migration 0002).
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("api_key_id", String(64), ForeignKey("api_keys.id"), nullable=False),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("revoked_at", TS),
    Index("ix_console_sessions_expires", "expires_at"),  # the sweep of expired rows at sign-in
)

media = Table(
    "media",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("label", String(256), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", BigInteger),
    Column("duration_seconds", Float),
    Column("source", String(20), nullable=False),
    Column("created_by_api_key_id", String(64)),
    Column("created_by_user_id", String(64), nullable=False),
    Column("storage_key", String(300)),
    Column("sha256", String(64)),
    Column("processing_status", String(20), nullable=False),
    Column("error", JSONB),
    Column("analysis", JSONB),  # pipeline.types.MediaAnalysis.to_json()
    Column("internal", Boolean, nullable=False, server_default="false"),  # psychometrics uploads: not listed
    Column("created_at", TS, nullable=False),
    Column("last_used_at", TS),
    Column("retention_locked", Boolean, nullable=False, server_default="false"),
    Column("deleted_at", TS),
    Column("purged_at", TS),
    Index("ix_media_ws_created", "workspace_id", "created_at", "id"),
)

entities = Table(
    "entities",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("label", String(64)),
    Column("centroid", JSONB, nullable=False),  # list[float], L2-normalised mean of voiceprints
    Column("voice_count", Integer, nullable=False, server_default="0"),
    Column("created_at", TS, nullable=False),
    Column("last_seen_at", TS),
    Index("ix_entities_ws_created", "workspace_id", "created_at", "id"),
)

# which speaker of which media is which entity
media_speakers = Table(
    "media_speakers",
    metadata,
    Column("media_id", String(64), ForeignKey("media.id"), primary_key=True),
    Column("speaker_index", Integer, primary_key=True),
    Column("entity_id", String(64), ForeignKey("entities.id"), nullable=False),
    Column("similarity", Float),
    Index("ix_media_speakers_entity", "entity_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("type", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("stage", String(20)),
    Column("progress", Float),
    Column("media_id", String(64)),
    Column("request", JSONB, nullable=False),  # normalised create body
    Column("webhook", JSONB),
    Column("label", String(64)),
    Column("error", JSONB),
    Column("usage", JSONB),
    Column("report_id", String(64)),
    Column("matching_id", String(64)),
    Column("request_id", String(128)),
    Column("cancel_requested", Boolean, nullable=False, server_default="false"),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("started_at", TS),
    Column("finished_at", TS),
)

job_events = Table(
    "job_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", String(64), ForeignKey("jobs.id"), nullable=False),
    Column("event", String(20), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_job_events_job", "job_id", "id"),
)

samples = Table(
    "samples",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("media_id", String(64), nullable=False),
    Column("speaker_index", Integer, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_samples_entity", "entity_id", "media_id", unique=True),
)

behavior_maps = Table(
    "behavior_maps",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("sample_ids", JSONB, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("model_checkpoint", String(100), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_behavior_maps_entity", "entity_id", "created_at"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("job_id", String(64), unique=True),
    Column("label", String(256)),
    Column("entity_id", String(64)),
    Column("media_id", String(64)),
    Column("speaker_index", Integer),
    Column("template", String(40), nullable=False),
    Column("markdown", Text, nullable=False),
    Column("json", JSONB, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("behavior_map_id", String(64)),
    Column("sample_ids", JSONB),
    Column("created_at", TS, nullable=False),
)

matchings = Table(
    "matchings",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("job_id", String(64), unique=True),
    Column("label", String(64)),
    Column("context", String(40), nullable=False),
    Column("target", JSONB, nullable=False),
    Column("group", JSONB, nullable=False),
    Column("markdown", Text, nullable=False),
    Column("json", JSONB, nullable=False),
    Column("created_at", TS, nullable=False),
)

psychometrics = Table(
    "psychometrics",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("result", JSONB, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("job_id", String(64), nullable=False),
    Column("type", String(40), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("body", LargeBinary, nullable=False),  # the exact bytes sent on every attempt
    Column("status", String(20), nullable=False),  # pending | delivered | failed
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    Column("scheduled_attempts", Integer, nullable=False, server_default="0"),  # attempts of the schedule used
    Column("created_at", TS, nullable=False),
    Column("last_attempt_at", TS),
    Column("next_attempt_at", TS),
    Index("ix_webhook_events_job", "job_id", "created_at"),
    Index("ix_webhook_events_ws", "workspace_id", "created_at", "id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(64), ForeignKey("webhook_events.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", TS, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", String(40)),
    Column("redelivery", Boolean, nullable=False, server_default="false"),
    Index("ix_webhook_attempts_event", "event_id", "attempt"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("workspace_id", String(64), primary_key=True),
    Column("method", String(10), primary_key=True),
    Column("route", String(200), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(20), nullable=False),  # in_progress | done
    Column("status_code", Integer),
    Column("body", LargeBinary),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),  # in_progress: the claim's lease (renewed while it runs); done: +24 h
)
