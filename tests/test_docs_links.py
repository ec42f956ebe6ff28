"""The README and every page of docs/ point at things that exist: each relative link and picture resolves (its
anchor too), and each path written in backticks under a top-level folder of the repository is there. A module
moved or renamed without its documentation fails here."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_PATHS = {"config/set", "config/history", "motcua/demo-hcc", "motcua/quang-ngai",   # topics and topic roots
             "motcua/console/templates/my_page.html"}                                 # the how-to's example
TOP = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and (m := re.match(r"^#{1,6} (.*)", line)):
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            found.add(s if n == 0 else f"{s}-{n}")
    return found


def broken_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    problems = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'src="([^"]+)"', text):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, fragment = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            problems.append(f"link to missing {target}")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
            problems.append(f"no anchor #{fragment} in {dest.name}")
    return problems


def missing_paths(page: Path) -> list[str]:
    problems = []
    for token in sorted(set(re.findall(r"`([A-Za-z_][\w./-]*)`", page.read_text(encoding="utf-8")))):
        first = token.split("/")[0]
        if token in NOT_PATHS or first == "demo-out" or "/" not in token or first not in TOP:
            continue
        if not (ROOT / token).exists():
            problems.append(f"`{token}` does not exist")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_and_path_of_the_page_exists(page):
    assert broken_links(page) + missing_paths(page) == []


def test_a_broken_link_and_a_missing_path_are_seen(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n[a](nowhere.md) [b](#title) [c](#none) `motcua/no_such.py` `motcua/link.py`\n",
                    encoding="utf-8")
    assert broken_links(page) == ["link to missing nowhere.md", "no anchor #none in page.md"]
    assert missing_paths(page) == ["`motcua/no_such.py` does not exist"]
