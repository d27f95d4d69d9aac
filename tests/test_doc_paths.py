"""Every file, folder and module a documentation page names exists, so a renamed file cannot leave a stale pointer.

Checked: backticked repository paths (`src/...`, `rules/...`, `scripts/...`, `presets/...` and the other source
folders, or a top-level file such as `config.yaml`), with `<name>`/`{a,b}` placeholders and `*` read as globs that must
match; `file.py::test_name` also needs the name in the file; backticked `synthloop.x.y` modules (and a trailing attribute,
found in the module's text); and relative Markdown links. Output paths (`results/...`, `archives/...`) are not files
of the repository and are not checked.
"""

import re

import pytest
from conftest import ROOT
from docs_pages import doc_pages, name

SOURCE_DIRS = ("src", "rules", "scripts", "schemas", "presets", "tests", "bench", "docs", "profiles", "envs", "report", "models")
TOP_FILES = {"Snakefile", "config.yaml", "Makefile", "pyproject.toml", "LICENSE", "README.md"}
TICKS = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MODULE = re.compile(r"^synthloop(\.\w+)+$")


def without_code_blocks(text: str) -> str:
    """Fenced blocks hold results trees and shell sessions; their paths are outputs or examples, not pointers."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def words(text: str):
    for snippet in TICKS.findall(without_code_blocks(text)):
        for word in snippet.split():
            yield word.strip(".,;:()'\"").split("(")[0]


def missing_path(word: str) -> str | None:
    path, _, test = word.partition("::")
    first = path.split("/")[0]
    if not (first in SOURCE_DIRS and "/" in path) and path not in TOP_FILES:
        return None
    pattern = re.sub(r"<[^>]*>|\{[^}]*\}|…", "*", path).rstrip("/")
    found = sorted(ROOT.glob(pattern)) if "*" in pattern else [ROOT / pattern] if (ROOT / pattern).exists() else []
    if not found:
        return f"{path}: no such file"
    if test and not any(f.is_file() and re.search(rf"\b{re.escape(test.split('::')[0].split('[')[0])}\b", f.read_text()) for f in found):
        return f"{word}: {test} not in {path}"
    return None


def missing_module(word: str) -> str | None:
    if not MODULE.match(word):
        return None
    parts = word.split(".")
    for n in range(len(parts), 0, -1):
        base = ROOT / "src" / "/".join(parts[:n])
        module = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
        if module.exists():
            rest = parts[n:]
            if len(rest) > 1:
                return f"{word}: no such module"
            if rest and not re.search(
                rf"^(def|class) {rest[0]}\b|^{rest[0]}\s*[:=]|^\s*from .* import .*\b{rest[0]}\b", module.read_text(), re.M
            ):
                return f"{word}: {rest[0]} not in {module.relative_to(ROOT)}"
            return None
    return f"{word}: no such module"


def missing_link(page, target: str) -> str | None:
    if re.match(r"^[a-z]+:", target) or target.startswith("#"):
        return None
    path = target.split("#")[0]
    return None if (page.parent / path).exists() else f"link {target}: no such file"


def problems(page) -> list[str]:
    text = page.read_text()
    found = [missing_path(w) or missing_module(w) for w in words(text)]
    found += [missing_link(page, t) for t in LINK.findall(without_code_blocks(text))]
    return sorted({p for p in found if p})


@pytest.mark.parametrize("page", doc_pages(), ids=name)
def test_every_path_and_module_a_page_names_exists(page):
    assert not problems(page), f"{name(page)}:\n" + "\n".join(problems(page))


def test_the_check_sees_a_stale_path_module_test_and_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "See `src/synthloop/training.py`, `synthloop.domains.lean_sides`, `synthloop.core.seeds.no_such_name`,\n"
        "`tests/test_layout.py::test_no_such_test`, [a page](no-such-page.md) and `python -m synthloop.theory`.\n"
        "Not checked: `results/{study}/tables/x.csv`, `archives/<study>.tar.gz`.\n"
        "Fine: `rules/<kind>/rules.smk`, `synthloop.core.seeds.stable_seed`, `tests/test_image_*.py`.\n"
    )
    assert problems(page) == [
        "link no-such-page.md: no such file",
        "src/synthloop/training.py: no such file",
        "synthloop.core.seeds.no_such_name: no_such_name not in src/synthloop/core/seeds.py",
        "synthloop.domains.lean_sides: no such module",
        "synthloop.theory: theory not in src/synthloop/__init__.py",
        "tests/test_layout.py::test_no_such_test: test_no_such_test not in tests/test_layout.py",
    ]
