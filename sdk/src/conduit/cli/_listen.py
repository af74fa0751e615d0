"""``conduit listen --forward-to URL``: webhook events from the workspace stream, re-signed and POSTed locally.

The server streams its webhook events on ``GET /v1/webhooks/stream`` (docs/api.md §6.5), so a receiver on a laptop
the server cannot reach still gets them. Each event is POSTed with the exact body and the headers of a real delivery
(``conduit-signature`` signed now with the workspace webhook secret), so the receiver's ``verify_signature`` passes.
"""

from __future__ import annotations

import time
from datetime import datetime

import click
import httpx

from .._errors import ApiError, ConduitError
from .._sse import ServerSentEvent, SSEDecoder
from .._transport import new_request_id
from .._webhooks import sign_webhook_payload
from ._app import State, cli, err

STREAM_PATH = "/v1/webhooks/stream"
SESSION_MS = 300_000
READ_GRACE_S = 20.0  # the server sends a heartbeat comment every 15 s
FORWARD_TIMEOUT_S = 15.0
MAX_BACKOFF_S = 10.0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("conduit-sdk")
    except PackageNotFoundError:  # pragma: no cover - a bare source tree
        return "0.0.0"


def delivery_headers(body: bytes, secret: str, event_id: str, event_type: str) -> dict[str, str]:
    """The headers of a first delivery attempt (docs/api.md §16(a)), signed at this moment."""
    return {
        "content-type": "application/json",
        "user-agent": f"Conduit-Webhooks/{_version()} (conduit listen)",
        "conduit-event-id": event_id,
        "conduit-event-type": event_type,
        "conduit-delivery-attempt": "1",
        "conduit-signature": sign_webhook_payload(body, secret, timestamp=int(time.time())),
    }


def _forward(http: httpx.Client, url: str, frame: ServerSentEvent, secret: str) -> str:
    body = frame.data.encode("utf-8")  # the data line is the delivery body, byte for byte
    headers = delivery_headers(body, secret, frame.id or "", frame.event)
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    return str(response.status_code)


@cli.command()
@click.option("--forward-to", "forward_to", required=True, help="local URL to POST each event to")
@click.option("--secret", envvar="CONDUIT_WEBHOOK_SECRET", help="workspace webhook secret (whsec_...) to sign with")
@click.option("--after", "after", help="start after this event id (replays what came after it)")
@click.option("--max-events", type=click.IntRange(1), help="exit after forwarding this many events")
@click.pass_obj
def listen(state: State, forward_to: str, secret: str | None, after: str | None, max_events: int | None) -> None:
    """Forward webhook events to a local URL, signed like real deliveries."""
    secret = secret or state.credentials()[2]
    if not secret:
        raise click.UsageError("no webhook secret: pass --secret, set CONDUIT_WEBHOOK_SECRET, or run "
                               "`conduit login --webhook-secret` (it is printed by `conduit keys create`)")
    client = state.client()
    transport = client._transport
    last_id = after
    forwarded = 0
    backoff = 0.5
    announced = False
    try:
        with httpx.Client(follow_redirects=False, timeout=FORWARD_TIMEOUT_S) as http:
            while True:
                try:
                    with transport.open_stream(STREAM_PATH, query={"timeout": str(SESSION_MS)},
                                               request_id=new_request_id(), last_event_id=last_id,
                                               timeout_ms=SESSION_MS + READ_GRACE_S * 1000) as response:
                        if not announced:
                            err().print(f"Ready: forwarding {client.base_url} webhook events to {forward_to} "
                                        "(Ctrl-C to quit)")
                            announced = True
                        backoff = 0.5
                        decoder = SSEDecoder()
                        for line in response.iter_lines():
                            frame = decoder.feed(line)
                            if frame is None or not frame.id:
                                continue
                            status = _forward(http, forward_to, frame, secret)
                            last_id = frame.id
                            forwarded += 1
                            stamp = datetime.now().strftime("%H:%M:%S")
                            click.echo(f"{stamp}  {frame.event:<20} {frame.id}  -> {status}")
                            if max_events is not None and forwarded >= max_events:
                                return
                except ApiError as exc:
                    if exc.status < 500 and exc.status != 429:
                        raise
                    err().print(f"stream: {exc.code}; reconnecting")
                except ConduitError as exc:
                    if exc.code not in {"timeout", "transport_error"}:
                        raise
                    err().print(f"stream: {exc.code}; reconnecting")
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
    except KeyboardInterrupt:
        err().print(f"stopped after {forwarded} event(s)")
