"""The committed configuration reference is what the schemas make: a key added, removed or re-described in
`schemas/*.yaml` without `make docs` fails here."""

import copy

from conftest import ROOT

from synthloop.core import config, reference

PAGE = ROOT / "docs" / "config-reference.md"


def test_the_committed_reference_is_the_schemas():
    assert PAGE.read_text() == reference.reference(), "docs/config-reference.md is stale: run `make docs`"


def test_every_key_of_every_kind_is_listed_with_its_default_and_description():
    page = reference.reference()
    assert "| `seeds` |" in page and "| `datasets.<name>.source` |" in page and "| `arms.bias` |" in page
    assert "| `generations` | integer |" in page and "| `max_jobs` | integer | `2000000` | refuse a study" in page
    assert all(f"`kind: {kind}`" in page for kind in config.KINDS)


def test_every_key_of_every_schema_says_what_it_means():
    """The schemas' descriptions are the one statement of a key's meaning: none is left without one."""
    assert reference.missing_descriptions() == []


def test_a_schema_change_changes_the_reference(monkeypatch):
    """The test above can fail: a new key with a description appears in the page."""
    original = config.schema_for

    def with_new_key(kind):
        schema = copy.deepcopy(original(kind))
        schema["properties"]["new_key"] = {"type": "string", "default": "x", "description": "a key added to the schema"}
        return schema

    monkeypatch.setattr(reference, "schema_for", with_new_key)
    page = reference.reference()
    assert page != PAGE.read_text() and '| `new_key` | string | `"x"` | a key added to the schema |' in page
