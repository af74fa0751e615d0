"""``psychometrics``: synchronous analysis (never retried) and lookup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from .._errors import InvalidSourceError
from .._requests import psychometrics_form, segment
from .._sources import AsyncSourceLoader, SourceLoader, Upload, binary_like, normalize_source, optional_str
from .._transport import AsyncTransport, RequestSpec, SyncTransport, check_signal
from ..models import PsychometricsResult, parse_psychometrics_result
from ..types import BinaryLike, CancelSignal, PsychometricsSource, PsychometricsTargetSelector


def _source_args(source: PsychometricsSource) -> dict[str, BinaryLike | str | None]:
    data = normalize_source(cast("Mapping[str, object]", source))
    if len([key for key in ("file", "url", "path") if key in data]) != 1:
        raise InvalidSourceError("source must include exactly one of file, url, or path")
    return {
        "file": binary_like(data.get("file")),
        "url": optional_str(data.get("url"), "source.url"),
        "path": optional_str(data.get("path"), "source.path"),
        "label": optional_str(data.get("label"), "source.label"),
    }


def _create_spec(
    upload: Upload, target: PsychometricsTargetSelector, idempotency_key: str | None, request_id: str | None
) -> RequestSpec:
    return RequestSpec(
        "POST",
        "/v2/psychometrics",
        data=psychometrics_form(cast("Mapping[str, object]", target)),
        files=upload.files(),
        request_id=request_id,
        idempotency_key=idempotency_key,
        retryable=False,
    )


def _get_spec(analysis_id: str, request_id: str | None) -> RequestSpec:
    return RequestSpec("GET", f"/v2/psychometrics/{segment(analysis_id, 'analysis_id')}", request_id=request_id)


class Psychometrics:
    def __init__(self, transport: SyncTransport, sources: SourceLoader) -> None:
        self._transport = transport
        self._sources = sources

    def create(
        self,
        *,
        source: PsychometricsSource,
        target: PsychometricsTargetSelector,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> PsychometricsResult:
        """Upload the source and return the finished analysis (one attempt, no retries)."""
        check_signal(signal, request_id)
        args = _source_args(source)
        psychometrics_form(cast("Mapping[str, object]", target))
        upload = self._sources.materialize(
            file=cast("BinaryLike | None", args["file"]),
            url=cast("str | None", args["url"]),
            path=cast("str | None", args["path"]),
            label=cast("str | None", args["label"]),
        )
        try:
            response = self._transport.request(_create_spec(upload, target, idempotency_key, request_id))
        finally:
            upload.close()
        return parse_psychometrics_result(response.data)

    def get(
        self, analysis_id: str, *, request_id: str | None = None, signal: CancelSignal | None = None
    ) -> PsychometricsResult:
        check_signal(signal, request_id)
        return parse_psychometrics_result(self._transport.request(_get_spec(analysis_id, request_id)).data)


class AsyncPsychometrics:
    def __init__(self, transport: AsyncTransport, sources: AsyncSourceLoader) -> None:
        self._transport = transport
        self._sources = sources

    async def create(
        self,
        *,
        source: PsychometricsSource,
        target: PsychometricsTargetSelector,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> PsychometricsResult:
        check_signal(signal, request_id)
        args = _source_args(source)
        psychometrics_form(cast("Mapping[str, object]", target))
        upload = await self._sources.amaterialize(
            file=cast("BinaryLike | None", args["file"]),
            url=cast("str | None", args["url"]),
            path=cast("str | None", args["path"]),
            label=cast("str | None", args["label"]),
        )
        try:
            response = await self._transport.request(_create_spec(upload, target, idempotency_key, request_id))
        finally:
            upload.close()
        return parse_psychometrics_result(response.data)

    async def get(
        self, analysis_id: str, *, request_id: str | None = None, signal: CancelSignal | None = None
    ) -> PsychometricsResult:
        check_signal(signal, request_id)
        return parse_psychometrics_result((await self._transport.request(_get_spec(analysis_id, request_id))).data)
