"""The documentation holds together: a short README, pages for each task, and no link that leads nowhere."""

import re
from functools import cache
from pathlib import Path

import pytest

from tests.behave_runs import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_README_LINES = 150

FENCE = re.compile(r"^ {0,3}(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:.|\n)*?\1")
# [text](target) and ![alt](target), with an optional "title" after the target.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def prose(text: str) -> str:
    """The text outside fenced code blocks and inline code, where links and headings are read."""
    kept, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        kept.append("" if fenced else line)
    return INLINE_CODE.sub("", "\n".join(kept))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped but for hyphens, spaces turned to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading reads as its text
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    """Every anchor a page's headings make; a repeated heading gets -1, -2 and so on, as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in page.read_text().splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else HEADING.match(line)
        if heading:
            base = slug(heading.group(1).replace("`", ""))
            anchor = base if base not in seen else f"{base}-{seen[base]}"
            seen[base] = seen.get(base, 0) + 1
            found.add(anchor)
    return frozenset(found)


def links(page: Path) -> list[str]:
    return LINK.findall(prose(page.read_text()))


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page):
        if re.match(r"(?i)(https?|mailto):", target):
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading makes #{anchor} in {destination.relative_to(ROOT)}")
    return broken


def test_the_readme_is_short_and_says_it_runs_on_linux() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= MAX_README_LINES, f"README.md is over {MAX_README_LINES} lines: move a section"
    assert "Linux" in text


def test_the_docs_have_a_page_per_task() -> None:
    assert len(list(DOCS.glob("*.md"))) >= 8


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_a_heading(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize("page", pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_no_page_says_httpx2_has_the_same_author(page: Path) -> None:
    """Pydantic maintains httpx2; no page may say otherwise."""
    assert "same author" not in page.read_text().lower()


def test_the_link_reader_sees_what_github_sees(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# The `make run` command\n## Decisions: why? (and limits)\n## Decisions: why? (and limits)\n"
        'See [it](other.md#x), ![pic](pic.png "a title") and [web](https://example.com).\n'
        "```\n[not a link](nowhere.md)\n# not a heading\n```\n`[code](nowhere.md)`\n"
    )
    assert links(page) == ["other.md#x", "pic.png", "https://example.com"]
    assert anchors(page) == {"the-make-run-command", "decisions-why-and-limits", "decisions-why-and-limits-1"}
    assert broken_links(page) == ["other.md#x: no such file", "pic.png: no such file"]
