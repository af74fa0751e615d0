"""Outbound webhook delivery core: event payload, signed headers, retry schedule, SSRF guard, guarded client.

One attempt, end to end::

    event = build_webhook_event(job_id=job.id, job_type=job.type, status=job.status, terminal_at=job.updated_at,
                                report_id=job.report_id)   # once, when the job becomes terminal; store event.body
    headers = build_delivery_headers(body=event.body, secret=secret, event_id=event.id, event_type=event.type,
                                     attempt=n, custom_headers=job_webhook.get("headers"))
    result = await attempt_delivery(url=url, body=event.body, headers=headers, policy=policy)
    delay = None if result.delivered or result.stop else schedule.next_delay(n, retry_after=result.retry_after, rng=rng)
"""

from .client import AttemptError, AttemptOutcome, attempt_delivery
from .guard import (
    REFUSED_NETWORKS,
    AddressPolicy,
    BlockedDestination,
    DestinationError,
    ResolutionFailed,
    ResolvedDestination,
    Resolver,
    resolve_destination,
    system_resolver,
)
from .payload import (
    WebhookEvent,
    build_webhook_event,
    canonical_json,
    event_type_for,
    format_timestamp,
    new_event_id,
)
from .schedule import DEFAULT_DELAYS, RetrySchedule, parse_retry_after
from .signer import RESERVED_HEADER_NAMES, build_delivery_headers, is_reserved_header, sign_webhook_payload
from .validate import Issue, validate_webhook_config

__all__ = [
    "DEFAULT_DELAYS",
    "REFUSED_NETWORKS",
    "RESERVED_HEADER_NAMES",
    "AddressPolicy",
    "AttemptError",
    "AttemptOutcome",
    "BlockedDestination",
    "DestinationError",
    "Issue",
    "ResolutionFailed",
    "ResolvedDestination",
    "Resolver",
    "RetrySchedule",
    "WebhookEvent",
    "attempt_delivery",
    "build_delivery_headers",
    "build_webhook_event",
    "canonical_json",
    "event_type_for",
    "format_timestamp",
    "is_reserved_header",
    "new_event_id",
    "parse_retry_after",
    "resolve_destination",
    "sign_webhook_payload",
    "system_resolver",
    "validate_webhook_config",
]
