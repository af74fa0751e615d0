"""Recordings and Conduit's data directories are private to the user the service runs as: directories 0700,
media files 0600, whatever the process umask (docs/data.md)."""

from __future__ import annotations

from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, *, tighten_existing: bool = True) -> Path:
    """Create `path` and any missing parents as 0700 (mkdir's own mode is cut by the umask, so chmod after), and
    tighten `path` itself to 0700 if it already existed, unless told not to. Existing parents are left alone."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        directory.chmod(PRIVATE_DIR)
    if tighten_existing:
        path.chmod(PRIVATE_DIR)
    return path


def make_private(root: Path, relative: str) -> None:
    """A file written under `root` by a library that uses default modes: the file 0600, the directories between
    `root` and it 0700."""
    target = root / relative
    for directory in target.relative_to(root).parents:
        if directory != Path("."):
            (root / directory).chmod(PRIVATE_DIR)
    target.chmod(PRIVATE_FILE)
