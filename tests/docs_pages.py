"""The prose pages the documentation checks read: the README, every page under docs/ and bench/README.md."""

from conftest import ROOT


def doc_pages() -> list:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]


def name(page) -> str:
    return str(page.relative_to(ROOT))
