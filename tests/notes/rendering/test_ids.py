"""Ids made from a note's content never equal an id the page itself uses."""

import re
from pathlib import Path

import pytest

from notes.rendering import render
from notes.rendering.ids import PAGE_IDS, id_is_reserved
from tests.conftest import note_source

ROOT = Path(__file__).resolve().parents[3]
STATIC_ID = re.compile(r'\sid="([^"{}]+)"')
SCRIPT_ID = re.compile(r'json_script:"([^"]+)"')
LOOKED_UP = re.compile(r"getElementById\([\"']([^\"']+)[\"']\)")


def ids_the_site_uses() -> set[str]:
    found = set()
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        found |= set(STATIC_ID.findall(text)) | set(SCRIPT_ID.findall(text))
    for path in (ROOT / "static" / "js").rglob("*.js"):
        found |= set(LOOKED_UP.findall(path.read_text()))
    # Form fields' ids (id_body) hold an underscore, which no heading id or derivation id can.
    return {i for i in found if not i.startswith("id_")}


def test_the_reserved_list_covers_every_id_of_the_templates_and_scripts():
    assert ids_the_site_uses() <= PAGE_IDS, sorted(ids_the_site_uses() - PAGE_IDS)


def test_headings_named_like_the_pages_ids_get_other_ids():
    reserved = sorted(PAGE_IDS) + ["fn1", "fnref1"]
    body = "\n\n".join(f"## {name.replace('-', ' ').title()}\n\nText." for name in reserved)
    result = render(note_source("Clobbering", body=body + "\n\nA claim[^1].\n\n[^1]: Its source."), slug="ids")
    assert result.ok, result.errors
    ids = re.findall(r'\sid="([^"]+)"', result.html)
    headings = [entry.id for entry in result.toc]
    assert len(headings) == len(reserved)
    assert not [i for i in headings if id_is_reserved(i)]
    assert len(ids) == len(set(ids))  # no two elements share an id either
    assert "annotation-data-2" in headings  # "## Annotation data" still links somewhere stable


@pytest.mark.parametrize("key", ["annotation-data", "main", "fn1"])
def test_a_derivation_may_not_take_a_page_id(key):
    body = f"::: derivation {{#{key}}} A derivation\n1. Step.\n\nResult.\n:::\n"
    result = render(note_source("Clobbering", body=body), slug="ids")
    assert f"derivation id {key!r} is used by the page itself; choose another" in [e.message for e in result.errors]
