"""Recordings and data directories are private to the service's user (docs/data.md): after an upload, the data
dir, the media store and the temp folders are 0700 and the stored recording 0600, even under a lax umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conduit_server.services import open_runtime
from conduit_server.store import accounts
from fixtures.api_helpers import headers_of, uploaded_id
from fixtures.speech import tone
from server_testkit import asgi_client, make_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def lax_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # what most systems run services with: files 0644, directories 0755
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("lax_umask")
async def test_upload_is_stored_private(database_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "srv" / "conduit-data"  # does not exist yet: the server creates it
    async with open_runtime(make_settings(data_dir, database_url=database_url)) as rt:
        key = await accounts.create_key(rt.engine, rt.clock())
        async with asgi_client(rt) as client:
            media_id = await uploaded_id(client, headers_of(key), tone(2.0))
        recording = data_dir / "media" / key.workspace_id / media_id
        assert recording.is_file()
        assert _mode(recording) == 0o600
        for directory in (data_dir, data_dir / "media", recording.parent, data_dir / "tmp", rt.scratch.dir()):
            assert _mode(directory) == 0o700, directory
        assert _mode(tmp_path / "srv") == 0o700  # a missing parent is created private too
