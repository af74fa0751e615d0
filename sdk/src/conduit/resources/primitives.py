"""``client.primitives``: entities, media, jobs and (ours) webhook_events."""

from __future__ import annotations

from dataclasses import dataclass

from .entities import AsyncEntities, Entities
from .jobs import AsyncJobs, Jobs
from .media import AsyncMedia, Media
from .webhook_events import AsyncWebhookEvents, WebhookEvents


@dataclass(slots=True, frozen=True)
class Primitives:
    entities: Entities
    media: Media
    jobs: Jobs
    webhook_events: WebhookEvents


@dataclass(slots=True, frozen=True)
class AsyncPrimitives:
    entities: AsyncEntities
    media: AsyncMedia
    jobs: AsyncJobs
    webhook_events: AsyncWebhookEvents
