"""Loopback webhook receivers (issue 10, docs/api.md §16(h)): allowed by default only for an embedded server bound to
loopback (the dev setup); a server on a public address or on a shared database refuses them unless the operator
sets CONDUIT_WEBHOOK_ALLOW_LOOPBACK=true."""

from __future__ import annotations

from pathlib import Path

import pytest
from conduit_server.settings import Settings
from conduit_server.store import accounts
from fixtures.api_helpers import assert_error, headers_of, report_body, uploaded_id
from fixtures.speech import tone
from server_testkit import asgi_client, open_test_runtime

HOOK = {"webhook": {"url": "http://127.0.0.1:9/hook"}}


@pytest.mark.parametrize(
    ("env", "allowed"),
    [
        ({}, True),  # embedded database, 127.0.0.1: the dev default
        ({"CONDUIT_HOST": "localhost"}, True),
        ({"CONDUIT_HOST": "::1"}, True),
        ({"CONDUIT_HOST": "0.0.0.0"}, False),  # listening publicly
        ({"CONDUIT_HOST": "10.1.2.3"}, False),
        ({"CONDUIT_DATABASE_URL": "postgresql://db.internal/conduit"}, False),  # a cluster node
        ({"CONDUIT_HOST": "0.0.0.0", "CONDUIT_WEBHOOK_ALLOW_LOOPBACK": "true"}, True),  # the operator says so
        ({"CONDUIT_WEBHOOK_ALLOW_LOOPBACK": "false"}, False),
    ],
)
def test_loopback_default_follows_the_deployment(env: dict[str, str], allowed: bool) -> None:
    assert Settings.from_env(env).allows_loopback_webhooks is allowed


async def test_a_public_server_refuses_a_loopback_webhook(database_url: str, tmp_path: Path) -> None:
    # a server on 0.0.0.0 with its own database URL: only the operator's explicit flag allows loopback
    for flag, expected in ((Settings().webhook_allow_loopback, 422), (True, 200)):  # the default, then the flag
        async with open_test_runtime(database_url, tmp_path, host="0.0.0.0", webhook_allow_loopback=flag) as rt, \
                asgi_client(rt) as client:
            auth = headers_of(await accounts.create_key(rt.engine, rt.clock()))
            media_id = await uploaded_id(client, auth, tone(1.0))
            r = await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id, **HOOK))
            if expected == 422:
                error = assert_error(r, 422, "validation_error")
                assert "webhook.url" in str(error["details"])
            else:
                assert r.status_code == 200, r.text
