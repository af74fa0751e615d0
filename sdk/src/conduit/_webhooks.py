"""Webhook signing and verification (``conduit-signature: t=<unix>,v1=<hex>``) and event parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from ._errors import ConduitError, WebhookVerificationError
from .models import WebhookEvent
from .types import HeaderMapping

SIGNATURE_HEADER = "conduit-signature"
DEFAULT_TOLERANCE_SEC = 300
_INVALID_PAYLOAD = "invalid_webhook_payload"


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def sign_webhook_payload(payload: bytes, secret: str, *, timestamp: int) -> str:
    """The ``conduit-signature`` header value for ``payload`` signed at unix ``timestamp``."""
    return f"t={timestamp},v1={_digest(payload, secret, timestamp)}"


def _header(headers: HeaderMapping, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() != name:
            continue
        if value is None or isinstance(value, str):
            return value
        values = list(value)
        if len(values) != 1:
            raise WebhookVerificationError(f"Duplicate {name} header", code="webhook_signature_invalid")
        if not isinstance(values[0], str):
            raise _malformed()
        return values[0]
    return None


def _malformed() -> WebhookVerificationError:
    return WebhookVerificationError("Malformed conduit-signature header", code="webhook_signature_invalid")


def parse_signature_header(value: str) -> tuple[int, str]:
    """``(t, v1)``; exactly the keys t and v1, each once, non-empty, t an integer."""
    # ASCII only: int() would accept other scripts' digits, and compare_digest raises TypeError on non-ASCII text
    if not value.isascii():
        raise _malformed()
    fields: dict[str, str] = {}
    for part in value.split(","):
        key, sep, item = part.partition("=")
        if not sep or not key or not item or key in fields or key not in {"t", "v1"}:
            raise _malformed()
        fields[key] = item
    if "t" not in fields or "v1" not in fields:
        raise _malformed()
    try:
        timestamp = int(fields["t"])
    except ValueError as exc:
        raise WebhookVerificationError("Invalid signature timestamp", code="webhook_signature_invalid") from exc
    return timestamp, fields["v1"]


def verify_signature(
    payload: str | bytes, headers: HeaderMapping, secret: str, *, tolerance_sec: int, now: float
) -> bool:
    """Raise ``WebhookVerificationError`` unless ``payload`` carries a fresh, valid signature."""
    header = _header(headers, SIGNATURE_HEADER)
    if header is None:
        raise WebhookVerificationError("Missing conduit-signature header", code="webhook_signature_missing")
    timestamp, signature = parse_signature_header(header)
    if abs(int(now) - timestamp) > tolerance_sec:
        raise WebhookVerificationError("Signature timestamp outside tolerance", code="webhook_signature_stale")
    if not isinstance(secret, str) or not secret:
        raise WebhookVerificationError("The webhook secret must be a non-empty string",
                                       code="webhook_signature_invalid")
    try:
        body = bytes(payload) if isinstance(payload, (bytes, bytearray, memoryview)) else payload.encode("utf-8")
        expected = _digest(body, secret, timestamp)
    except (AttributeError, TypeError, UnicodeEncodeError) as exc:  # not text/bytes, or lone surrogates
        raise WebhookVerificationError("The payload and secret must be bytes or UTF-8 text",
                                       code="webhook_signature_invalid") from exc
    if not hmac.compare_digest(expected, signature):
        raise WebhookVerificationError("Invalid signature", code="webhook_signature_invalid")
    return True


def _invalid(message: str) -> ConduitError:
    return ConduitError(f"Invalid webhook payload: {message}", code=_INVALID_PAYLOAD)


def _text(data: Mapping[str, object], key: str, name: str) -> str:
    value = data.get(key)
    if isinstance(value, str) and value.strip():
        return value
    raise _invalid(f"{name} must be a non-empty string")


def _object(value: object, name: str) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return value
    raise _invalid(f"{name} must be an object")


def _iso(value: str, name: str) -> None:
    try:
        datetime.fromisoformat(value).astimezone(UTC)
    except ValueError as exc:
        raise ConduitError(f"Invalid webhook payload: {name} must be an ISO8601 string", code=_INVALID_PAYLOAD) from exc


def _check_completed(data: object, resource_key: str) -> None:
    values = _object(data, "data")
    _text(values, "jobId", "data.jobId")
    _text(values, resource_key, f"data.{resource_key}")
    if values.get("status") != "succeeded":
        raise _invalid("status must be succeeded")


def _check_failed(data: object) -> None:
    values = _object(data, "data")
    _text(values, "jobId", "data.jobId")
    if values.get("status") != "failed":
        raise _invalid("status must be failed")
    error = _object(values.get("error"), "data.error")
    _text(error, "code", "data.error.code")
    _text(error, "message", "data.error.message")


_VALIDATORS = {
    "report.completed": lambda data: _check_completed(data, "reportId"),
    "matching.completed": lambda data: _check_completed(data, "matchingId"),
    "report.failed": _check_failed,
    "matching.failed": _check_failed,
}


def parse_event(payload: str | bytes) -> WebhookEvent:
    """Parse a verified webhook body; known event types get their ``data`` validated, unknown ones pass through."""
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        value = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConduitError("Invalid webhook payload: invalid JSON", code=_INVALID_PAYLOAD, cause=exc) from exc
    envelope = _object(value, "webhook event")
    fields: dict[str, str] = {}
    for key in ("id", "type", "createdAt", "timestamp"):
        item = envelope.get(key)
        if not isinstance(item, str):
            raise _invalid(f"{key} must be a string")
        fields[key] = item
    _iso(fields["createdAt"], "createdAt")
    _iso(fields["timestamp"], "timestamp")
    event = WebhookEvent(
        id=fields["id"],
        type=fields["type"],
        created_at=fields["createdAt"],
        timestamp=fields["timestamp"],
        data=envelope.get("data"),
    )
    validator = _VALIDATORS.get(event.type)
    if validator is not None:
        validator(event.data)
    return event
