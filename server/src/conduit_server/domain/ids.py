"""Opaque ids: a prefix plus 24 random [0-9a-z] characters (docs/api.md §1)."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.digits + string.ascii_lowercase


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_api_key() -> str:
    return "sk_" + secrets.token_urlsafe(32).replace("-", "").replace("_", "")[:40]


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(16)
