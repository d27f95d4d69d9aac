"""Each kind's path table (synthloop.studies.layout) is the one its rules write and its plan reads."""

import re
import string

import pytest
from conftest import ROOT, study_path

from synthloop.core.config import KINDS
from synthloop.studies import layout
from synthloop.studies.base import COMMON_PATHS


def names_used(kind: str) -> set[str]:
    """Every string literal in the kind's rules and library and in the rules every kind includes, and each name an
    f-string prefix builds from one of them (f"arm_{name}")."""
    files = [
        *(ROOT / "rules" / kind).glob("*.smk"),
        ROOT / "rules/common.smk",
        ROOT / "rules/provenance.smk",
        *(ROOT / "src/synthloop/studies" / kind).glob("*.py"),
    ]
    sources = [f.read_text() for f in files if f.name != "paths.py"]
    literals = {m for text in sources for m in re.findall(r"""["']([a-z0-9_]+)["']""", text)}
    prefixes = {m for text in sources for m in re.findall(r"""f["']([a-z0-9_]+)\{""", text)}
    return literals | {prefix + name for prefix in prefixes for name in literals}


@pytest.mark.parametrize("kind", KINDS)
def test_every_pattern_is_named_by_the_kinds_rules_or_plan(kind):
    unused = sorted(set(layout(kind)) - names_used(kind))
    assert not unused, f"{kind}: path patterns no rule or plan names: {unused}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_lies_under_the_studys_results_or_archives(kind):
    for name, pattern in layout(kind).items():
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f}
        assert "study" in fields and pattern.startswith(("results/{study}/", "archives/{study}")), (name, pattern)


@pytest.mark.parametrize("kind", KINDS)
def test_no_two_patterns_name_one_file(kind):
    patterns = list(layout(kind).values())
    assert len(set(patterns)) == len(patterns)


def test_a_kind_may_not_redefine_a_common_file(monkeypatch):
    from synthloop.studies.image_loop import paths

    monkeypatch.setitem(paths.PATHS, "manifest", "results/{study}/elsewhere.json")
    with pytest.raises(ValueError, match="manifest"):
        layout("image_loop")


def test_the_helper_fills_the_study_and_the_wildcards():
    path = study_path("inheritance", "s")
    assert path("model", arm="gender-unbiased-r0.5-none-round1", seed=2) == "results/s/arms/gender-unbiased-r0.5-none-round1/s2/model"
    assert path("manifest") == COMMON_PATHS["manifest"].format(study="s")
