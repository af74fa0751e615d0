"""``primitives.entities``: get, list, update, and (ours) behavior_map."""

from __future__ import annotations

from collections.abc import Mapping

from .._requests import segment
from .._transport import AsyncTransport, RequestSpec, SyncTransport
from ..models import BehaviorMap, Entity, ListEntitiesResponse, parse_behavior_map, parse_entity, parse_list_entities


def _path(entity_id: str, suffix: str = "") -> str:
    return f"/v1/entities/{segment(entity_id, 'entity_id')}{suffix}"


def _list_spec(limit: int | None, cursor: str | None, request_id: str | None) -> RequestSpec:
    query = {"limit": str(limit or 20)}
    if cursor:
        query["cursor"] = cursor
    return RequestSpec("GET", "/v1/entities", query=query, request_id=request_id)


def _update_spec(entity_id: str, body: Mapping[str, object], request_id: str | None) -> RequestSpec:
    # Only ``label`` is sent, always (``null`` clears it), as the official SDK does.
    return RequestSpec("PATCH", _path(entity_id), json_body={"label": body.get("label")}, request_id=request_id)


class Entities:
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def get(self, entity_id: str, *, request_id: str | None = None) -> Entity:
        return parse_entity(self._transport.request(RequestSpec("GET", _path(entity_id), request_id=request_id)).data)

    def list(
        self, *, limit: int | None = None, cursor: str | None = None, request_id: str | None = None
    ) -> ListEntitiesResponse:
        return parse_list_entities(self._transport.request(_list_spec(limit, cursor, request_id)).data)

    def update(self, entity_id: str, body: Mapping[str, object], *, request_id: str | None = None) -> Entity:
        return parse_entity(self._transport.request(_update_spec(entity_id, body, request_id)).data)

    def behavior_map(self, entity_id: str, *, request_id: str | None = None) -> BehaviorMap:
        """Ours: the entity's latest behavior map (404 until one exists)."""
        spec = RequestSpec("GET", _path(entity_id, "/behavior-map"), request_id=request_id)
        return parse_behavior_map(self._transport.request(spec).data)


class AsyncEntities:
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def get(self, entity_id: str, *, request_id: str | None = None) -> Entity:
        spec = RequestSpec("GET", _path(entity_id), request_id=request_id)
        return parse_entity((await self._transport.request(spec)).data)

    async def list(
        self, *, limit: int | None = None, cursor: str | None = None, request_id: str | None = None
    ) -> ListEntitiesResponse:
        return parse_list_entities((await self._transport.request(_list_spec(limit, cursor, request_id))).data)

    async def update(self, entity_id: str, body: Mapping[str, object], *, request_id: str | None = None) -> Entity:
        return parse_entity((await self._transport.request(_update_spec(entity_id, body, request_id))).data)

    async def behavior_map(self, entity_id: str, *, request_id: str | None = None) -> BehaviorMap:
        spec = RequestSpec("GET", _path(entity_id, "/behavior-map"), request_id=request_id)
        return parse_behavior_map((await self._transport.request(spec)).data)
