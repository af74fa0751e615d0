"""The repository documents itself: no file points outside the checkout (users who clone it have nothing there),
and every "docs/api.md §N" that code cites is a section heading of docs/api.md."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_DOC = ROOT / "docs" / "api.md"
CODE_DIRS = ("server/src", "sdk/src", "server/tests", "bench", "scripts")
OUTSIDE = ("../" + "shared", "/work/" + "shared")  # split so this file does not match itself
HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?(?:\([a-z]\))?) ", re.MULTILINE)
CITATION = re.compile(r"§(\d+(?:\.\d+)?(?:\([a-z]\))?)")


def _repo_files() -> list[Path]:
    """Tracked files plus new ones not yet committed (but not ignored ones such as virtualenvs)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         check=True, capture_output=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_file_points_outside_the_repository() -> None:
    offenders = []
    for path in _repo_files():
        text = _text(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(marker in line for marker in OUTSIDE):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_cited_api_section_exists() -> None:
    sections = set(HEADING.findall(API_DOC.read_text(encoding="utf-8")))
    assert {str(n) for n in range(1, 17)} <= sections  # the numbering code comments rely on: 1 to 16
    cited: dict[str, list[str]] = {}
    for path in _repo_files():
        rel = path.relative_to(ROOT).as_posix()
        if not rel.startswith(CODE_DIRS) or path.suffix != ".py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "docs/api.md" in line or "§" in line:
                for section in CITATION.findall(line):
                    cited.setdefault(section, []).append(f"{rel}:{number}")
    assert len(cited) > 10  # the code does cite the reference
    missing = {section: where for section, where in cited.items() if section not in sections}
    assert missing == {}
