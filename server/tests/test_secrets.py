"""Secrets never reach logs or reprs: settings, log lines (tracebacks included), blob store descriptions."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from conduit_server.cli import configure_logging
from conduit_server.domain.redact import RedactingFormatter, redact_text, redact_url
from conduit_server.settings import Settings
from conduit_server.store.blobs import BlobStore

DB_PASSWORD = "db-Pa55word"
S3_SECRET = "s3-SECRET-abc123"
API_KEY = "sk_live0123456789abcdefghij"
WEBHOOK_SECRET = "whsec_0123456789abcdefghijklmnop"


def test_settings_repr_masks_every_credential() -> None:
    settings = Settings.from_env({
        "CONDUIT_DATABASE_URL": f"postgresql://conduit:{DB_PASSWORD}@db.internal:5432/conduit",
        "CONDUIT_STORAGE_URL": "s3://media/prefix",
        "CONDUIT_STORAGE_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID",
        "CONDUIT_STORAGE_SECRET_ACCESS_KEY": S3_SECRET,
        "CONDUIT_STORAGE_SESSION_TOKEN": "session-token-xyz",
        "CONDUIT_STORAGE_REGION": "eu-west-1",
        "CONDUIT_BOOTSTRAP_API_KEY": API_KEY,
        "CONDUIT_BOOTSTRAP_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CONDUIT_LLM_URL": "https://llm-user:llm-pw@llm.internal/v1",
        "CONDUIT_LLM_MODEL": "m",
        "CONDUIT_LLM_API_KEY": "llm-api-key-value",
    })
    for text in (repr(settings), str(settings), f"{settings}"):
        for secret in (DB_PASSWORD, S3_SECRET, "AKIAEXAMPLEKEYID", "session-token-xyz", API_KEY, WEBHOOK_SECRET,
                       "llm-pw", "llm-api-key-value"):
            assert secret not in text
        assert "postgresql://***@db.internal:5432/conduit" in text  # still says which database
        assert "'region': 'eu-west-1'" in text
    assert settings.database_url is not None and DB_PASSWORD in settings.database_url  # the value itself is intact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@host/x", "https://***@host/x"),
        ("https://token@host:8443/x?q=1#f", "https://***@host:8443/x?q=1#f"),
        ("https://host/x", "https://host/x"),
        ("http://u:p@[::1]:9000/hook", "http://***@[::1]:9000/hook"),
        ("https://u:p@host:notaport/x", "https://***@host:notaport/x"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_log_lines_and_tracebacks_are_masked() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ConnectionError(f"could not connect to postgresql://conduit:{DB_PASSWORD}@db:5432/x")
    except ConnectionError:
        record = logging.LogRecord("conduit", logging.ERROR, __file__, 1,
                                   "key %s secret %s dsn host=db password=%s", (API_KEY, WEBHOOK_SECRET, DB_PASSWORD),
                                   exc_info=sys.exc_info())
        line = formatter.format(record)
    assert "Traceback" in line and "ConnectionError" in line
    for secret in (DB_PASSWORD, API_KEY, WEBHOOK_SECRET):
        assert secret not in line
    assert "sk_***" in line and "whsec_***" in line and "password=***" in line
    assert redact_text("task_runner disk_usage") == "task_runner disk_usage"  # no false positives mid-word


def test_cli_logging_masks_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers = []
    try:
        configure_logging("info")
        logging.getLogger("conduit_server.test").warning("connecting with %s", f"postgresql://u:{DB_PASSWORD}@h/db")
    finally:
        root.handlers, level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "postgresql://***@h/db" in err and DB_PASSWORD not in err


def test_blob_store_description_has_no_credentials(tmp_path: Path) -> None:
    store = BlobStore(object(), description=f"https://reader:{S3_SECRET}@blobs.example.com/bucket")
    assert store.description == "https://***@blobs.example.com/bucket"
    assert BlobStore.from_settings("memory://", tmp_path).description == "memory://"
