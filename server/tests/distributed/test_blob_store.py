"""The same BlobStore tests on every backend: memory, a local folder, and S3 (moto_server on 127.0.0.1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conduit_server.settings import Settings
from conduit_server.store.blobs import MULTIPART_CHUNK_BYTES, BlobStore

from distributed.conftest import MotoS3


@pytest.fixture(params=["memory", "local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "memory":
        yield BlobStore.from_settings("memory://", tmp_path)
    elif request.param == "local":
        yield BlobStore.from_settings(None, tmp_path)
    else:
        moto: MotoS3 = request.getfixturevalue("moto")
        bucket = "blobs-" + uuid.uuid4().hex[:8]
        moto.create_bucket(bucket)
        # exactly what `conduit` reads from CONDUIT_STORAGE_URL / CONDUIT_STORAGE_<OPTION>
        settings = Settings.from_env(moto.env(bucket, prefix="some/prefix"))
        yield BlobStore.from_settings(settings.storage_url, tmp_path, dict(settings.storage_options))


async def test_put_get_exists_delete(blobs: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "in.bin"
    src.write_bytes(b"RIFF" + os.urandom(5000))
    assert not await blobs.exists("media/a/b.wav")
    await blobs.put_file("media/a/b.wav", src)
    assert await blobs.exists("media/a/b.wav")
    out = tmp_path / "out.bin"
    await blobs.get_to_file("media/a/b.wav", out)
    assert out.read_bytes() == src.read_bytes()
    await blobs.delete("media/a/b.wav")
    assert not await blobs.exists("media/a/b.wav")
    await blobs.delete("media/a/b.wav")  # deleting a missing object is not an error


async def test_missing_object_raises_file_not_found(blobs: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await blobs.get_to_file("media/none", tmp_path / "x")


async def test_empty_and_large_multipart_files(blobs: BlobStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    await blobs.put_file("e", empty)
    await blobs.get_to_file("e", tmp_path / "e.out")
    assert (tmp_path / "e.out").read_bytes() == b""
    big = tmp_path / "big"
    big.write_bytes(os.urandom(2 * MULTIPART_CHUNK_BYTES + 12345))  # 3 parts on S3
    await blobs.put_file("big", big)
    await blobs.get_to_file("big", tmp_path / "big.out")
    assert (tmp_path / "big.out").read_bytes() == big.read_bytes()


async def test_s3_large_put_is_multipart_on_the_wire(moto: MotoS3, tmp_path: Path) -> None:
    """moto's request log shows the multipart calls (POST ?uploads, PUT ?partNumber=) for a file > one chunk."""
    bucket = "mp-" + uuid.uuid4().hex[:8]
    moto.create_bucket(bucket)
    store = BlobStore.from_settings(f"s3://{bucket}/p", tmp_path, moto.options())
    big = tmp_path / "big"
    big.write_bytes(os.urandom(MULTIPART_CHUNK_BYTES + 1))
    await store.put_file("k", big)
    small = tmp_path / "small"
    small.write_bytes(b"x" * 1000)
    await store.put_file("s", small)
    log = moto.log.read_text(errors="replace")
    assert f"POST /{bucket}/p/k?uploads" in log
    assert f"PUT /{bucket}/p/k?partNumber=2" in log
    assert f"POST /{bucket}/p/s?uploads" not in log  # a small file is one PUT


def test_storage_options_map_onto_s3_config() -> None:
    from conduit_server.store.blobs import s3_store

    store = s3_store("s3://bkt/pre/fix", {"endpoint_url": "http://127.0.0.1:9", "access_key_id": "AK",
                                          "secret_access_key": "SK", "region": "eu-west-1", "allow_http": "true",
                                          "connect_timeout": "2s"})
    assert store.config["bucket"] == "bkt"
    assert store.config["endpoint"] == "http://127.0.0.1:9"
    assert store.config["region"] == "eu-west-1"
    assert store.config["access_key_id"] == "AK"
    assert store.prefix == "pre/fix"
    assert store.client_options["allow_http"] in (True, "true")
    assert str(store.client_options["connect_timeout"]) in {"2s", "0:00:02"}
