"""Each fact is written once: no paragraph of three or more lines of one page appears in another page.

A paragraph is a run of non-blank lines (a table, a list, a code block); pages are compared with whitespace
collapsed, so a copy that was re-wrapped, or pasted into a longer paragraph, is still found.
"""

import re

from docs_pages import doc_pages, name


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if len(p.strip().splitlines()) >= 3]


def flat(text: str) -> str:
    return " ".join(text.split())


def repeats(pages: dict[str, str]) -> list[str]:
    """`page -> other: first words` for every long paragraph of a page found in another page."""
    flats = {page: flat(text) for page, text in pages.items()}
    found = []
    for page, text in pages.items():
        for paragraph in paragraphs(text):
            found += [f"{page} -> {other}: {flat(paragraph)[:80]}" for other in pages if other != page and flat(paragraph) in flats[other]]
    return found


def test_no_long_paragraph_appears_in_two_pages():
    found = repeats({name(page): page.read_text() for page in doc_pages()})
    assert not found, "\n".join(found)


def test_the_check_sees_a_rewrapped_copy_inside_a_longer_paragraph():
    copied = "one fact\nwritten here\nonce"
    pages = {
        "a.md": f"# A\n\n{copied}\n",
        "b.md": "# B\n\nIntro: one fact written\nhere once, and more.\nAnd more.\n",
        "c.md": "two\nshort\n",
    }
    assert repeats(pages) == ["a.md -> b.md: one fact written here once"]
    assert not repeats({"a.md": "# A\n\none\ntwo\n", "b.md": "one\ntwo\n"})  # two lines are not a paragraph to compare
