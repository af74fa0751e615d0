"""The exact headers of one delivery attempt (docs/api.md §6.3, §16(a), §16(c)).

Every attempt is signed at send time (new ``t``) with the workspace's current secret. The job's custom headers go
out too, but never replace the signature, a ``conduit-*`` header, or any other header this module sets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

try:
    from conduit import sign_webhook_payload  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - private fallback until the SDK ships the signer; the lead removes it
    import hashlib
    import hmac

    def sign_webhook_payload(payload: bytes, secret: str, *, timestamp: int) -> str:
        mac = hmac.new(secret.encode("utf-8"), b"%d." % timestamp + payload, hashlib.sha256)
        return f"t={timestamp},v1={mac.hexdigest()}"


__all__ = [
    "RESERVED_HEADER_NAMES",
    "build_delivery_headers",
    "is_reserved_header",
    "server_version",
    "sign_webhook_payload",
]

# docs/api.md §6.1: a job's custom headers may not use these names, nor any ``conduit-*`` name.
RESERVED_HEADER_NAMES = frozenset({"content-type", "content-length", "host", "transfer-encoding", "connection"})


def is_reserved_header(name: str) -> bool:
    """True for names a job's ``webhook.headers`` may not set (case-insensitive)."""
    lowered = name.strip().lower()
    return lowered in RESERVED_HEADER_NAMES or lowered.startswith("conduit-")


def server_version() -> str:
    try:
        return _dist_version("conduit-server")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "0.0.0"


def build_delivery_headers(
    *,
    body: bytes,
    secret: str,
    event_id: str,
    event_type: str,
    attempt: int,
    custom_headers: Mapping[str, str] | None = None,
    timestamp: int | None = None,
    clock: Callable[[], float] = time.time,
    version: str | None = None,
) -> dict[str, str]:
    """Headers for delivery attempt ``attempt`` (1-based) of ``body``; names are lowercase.

    ``timestamp`` (unix seconds) defaults to ``int(clock())``: the signing time of this attempt.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    ts = int(clock()) if timestamp is None else int(timestamp)
    ours = {
        "content-type": "application/json",
        "user-agent": f"Conduit-Webhooks/{version or server_version()}",
        "conduit-event-id": event_id,
        "conduit-event-type": event_type,
        "conduit-delivery-attempt": str(attempt),
        "conduit-signature": sign_webhook_payload(body, secret, timestamp=ts),
    }
    headers: dict[str, str] = {}
    for name, value in (custom_headers or {}).items():
        lowered = name.strip().lower()
        if is_reserved_header(lowered) or lowered in ours:
            continue
        headers[lowered] = value
    headers.update(ours)
    return headers
