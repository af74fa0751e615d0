"""The `conduit` CLI without a server: target strings, credentials precedence and the profile file, and that the
client commands work where conduit-server is not installed. (Against a real server: server/tests/test_cli_client.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conduit.cli import app
from conduit.cli._config import Profile, credentials_path, resolve, save_profile
from conduit.cli._target import parse_target


def test_every_target_strategy_of_the_api_parses() -> None:
    assert parse_target("dominant", None) == {"strategy": "dominant"}
    assert parse_target("magic_hint:the candidate", "error") == {
        "strategy": "magic_hint", "hint": "the candidate", "on_miss": "error"}
    assert parse_target("entity_id:ent_1", "fallback_dominant")["entity_id"] == "ent_1"
    assert parse_target("speaker_index:2", None) == {"strategy": "speaker_index", "speaker_index": 2}
    assert parse_target("timerange:30-", None)["time_range"] == {"start_seconds": 30.0, "end_seconds": None}
    assert parse_target("timerange:1.5-90", None)["time_range"] == {"start_seconds": 1.5, "end_seconds": 90.0}
    for bad in ("loudest", "magic_hint", "magic_hint:  ", "speaker_index:-1", "timerange:10", "timerange:a-b"):
        with pytest.raises(click.BadParameter):
            parse_target(bad, None)


def test_a_bad_target_is_a_usage_error_before_any_request(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    result = CliRunner().invoke(app(), ["report", str(audio), "--target", "loudest"],
                                env={"CONDUIT_API_KEY": "sk_x", "CONDUIT_BASE_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 2 and "unknown strategy" in result.output


def test_profiles_honour_xdg_and_are_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for name in ("CONDUIT_API_KEY", "CONDUIT_BASE_URL", "CONDUIT_WEBHOOK_SECRET", "CONDUIT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    path = save_profile("default", Profile(api_key="sk_saved", base_url="http://saved:8000"))
    save_profile("work \"2\"", Profile(api_key="sk_work", webhook_secret="whsec_w"))
    assert path == credentials_path() == tmp_path / "conduit" / "credentials.toml"
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert resolve(None, None) == ("sk_saved", "http://saved:8000", None)
    assert resolve('work "2"', None) == ("sk_work", None, "whsec_w")
    monkeypatch.setenv("CONDUIT_API_KEY", "sk_env")
    assert resolve(None, "http://flag:1") == ("sk_env", "http://flag:1", None)  # env and flag beat the profile


def test_no_key_anywhere_says_how_to_get_one(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "CONDUIT_API_KEY": "", "CONDUIT_PROFILE": ""}
    result = CliRunner().invoke(app(), ["files", "list"], env=env)
    assert result.exit_code == 1 and "conduit login" in result.output


def test_the_client_cli_runs_without_the_server_package() -> None:
    code = ("import sys; sys.modules['conduit_server'] = None\n"  # as if only conduit-sdk[cli] were installed
            "from conduit.cli import main; main(['--help'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "report" in result.stdout and "listen" in result.stdout and "Server commands" not in result.stdout
