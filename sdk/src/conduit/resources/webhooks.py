"""``webhooks``: signature verification and event parsing (synchronous on both clients)."""

from __future__ import annotations

from .._clock import SYSTEM_CLOCK, Clock
from .._webhooks import DEFAULT_TOLERANCE_SEC, parse_event, verify_signature
from ..models import WebhookEvent
from ..types import HeaderMapping


class Webhooks:
    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock

    def verify_signature(
        self,
        payload: str | bytes,
        headers: HeaderMapping,
        secret: str,
        *,
        tolerance_sec: int = DEFAULT_TOLERANCE_SEC,
    ) -> bool:
        """Return True or raise WebhookVerificationError (missing / stale / invalid). Verify the raw body."""
        return verify_signature(payload, headers, secret, tolerance_sec=tolerance_sec, now=self._clock.time())

    def parse_event(self, payload: str | bytes) -> WebhookEvent:
        """Parse a verified body; raises ConduitError(code="invalid_webhook_payload")."""
        return parse_event(payload)
