"""Every repository path and module that a comment or docstring names exists, as for the documentation pages.

Read: `#` comments of Python, Snakemake, YAML and Makefile sources, and Python docstrings. A path is a token
starting with a source folder (`src/`, `rules/`, `scripts/`, ...); a module is `synthloop.x.y`. Paths inside a
results tree are written from `results/` (or `archives/`), which is not a source folder, and so not checked.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize

import pytest
from conftest import ROOT
from test_doc_paths import SOURCE_DIRS, missing_module, missing_path

TOKEN = re.compile(rf"(?<![\w/.{{<-])((?:{'|'.join(SOURCE_DIRS)})/[\w./<>{{}}*…-]+|synthloop(?:\.\w+)+)")
SELF = {"tests/test_doc_paths.py", "tests/test_comment_paths.py"}  # they name stale paths on purpose


def sources() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py", "*.smk", "*.yaml", "Snakefile", "Makefile"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [f for f in listed if f not in SELF and (ROOT / f).exists()]


def comments(path: str, text: str) -> list[str]:
    """The prose of a source file: its comments, and for Python its docstrings."""
    if not path.endswith(".py"):
        return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]
    found = [tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline) if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node):
            found.append(ast.get_docstring(node))
    return found


def problems(path: str, text: str) -> list[str]:
    found = set()
    for prose in comments(path, text):
        for word in TOKEN.findall(prose):
            word = word.rstrip(".,;:)'\"`")
            problem = missing_path(word) or missing_module(word)
            if problem:
                found.add(f"{path}: {problem}")
    return sorted(found)


def test_every_path_and_module_a_comment_names_exists():
    found = [p for f in sources() for p in problems(f, (ROOT / f).read_text())]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("x.py", '"""Calls scripts/no_such_script.py."""\nx = 1  # and synthloop.no_such_module\n'),
        ("x.smk", "rule a:  # see src/synthloop/no_such.py\n"),
    ],
)
def test_the_check_sees_a_stale_path_in_a_comment(path, text):
    assert problems(path, text)


def test_the_check_reads_prose_not_code():
    assert not problems("x.py", 'LOG = "synthloop.no_such_logger"\npath = "models/no_such_model"\n')
