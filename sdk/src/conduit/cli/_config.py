"""Where the CLI finds credentials: flags, then ``CONDUIT_API_KEY`` / ``CONDUIT_BASE_URL``, then a saved profile.

Profiles live in ``$XDG_CONFIG_HOME/conduit/credentials.toml`` (default ``~/.config/conduit``), one table per
profile, written by ``conduit login`` with mode 0600 because they hold API keys.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROFILE = "default"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "conduit"


def credentials_path() -> Path:
    return config_dir() / "credentials.toml"


@dataclass(frozen=True, slots=True)
class Profile:
    api_key: str | None = None
    base_url: str | None = None
    webhook_secret: str | None = None


def load_profiles(path: Path | None = None) -> dict[str, dict[str, str]]:
    target = path or credentials_path()
    if not target.exists():
        return {}
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    return {name: {k: str(v) for k, v in table.items()} for name, table in data.items() if isinstance(table, dict)}


def load_profile(name: str) -> Profile:
    table = load_profiles().get(name, {})
    return Profile(table.get("api_key"), table.get("base_url"), table.get("webhook_secret"))


def _toml(profiles: dict[str, dict[str, str]]) -> str:
    # JSON string escapes are valid TOML basic-string escapes; names are quoted keys for the same reason.
    lines = ["# Conduit CLI credentials (written by `conduit login`; keep this file private)"]
    for name, table in profiles.items():
        lines.append(f"\n[{json.dumps(name)}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


def save_profile(name: str, profile: Profile) -> Path:
    """Merge ``profile`` into the credentials file, created (and kept) owner-only: 0700 folder, 0600 file."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    profiles = load_profiles(path)
    table = {k: v for k, v in (("api_key", profile.api_key), ("base_url", profile.base_url),
                               ("webhook_secret", profile.webhook_secret)) if v}
    profiles[name] = table
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: tighten it
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_toml(profiles))
    return path


def resolve(profile_name: str | None, base_url: str | None) -> tuple[str | None, str | None, str | None]:
    """(api key, base url, webhook secret): environment first, then the profile (``--profile`` / CONDUIT_PROFILE)."""
    saved = load_profile(profile_name or os.environ.get("CONDUIT_PROFILE") or DEFAULT_PROFILE)
    key = os.environ.get("CONDUIT_API_KEY") or saved.api_key
    url = base_url or os.environ.get("CONDUIT_BASE_URL") or saved.base_url
    secret = os.environ.get("CONDUIT_WEBHOOK_SECRET") or saved.webhook_secret
    return key, url, secret
