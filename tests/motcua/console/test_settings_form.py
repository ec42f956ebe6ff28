"""The settings pages' form layer without a process: the site document as inputs and back, the user's edit laid on
a newer document by entry id, and the hub's problems placed beside their inputs."""
import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict

from motcua.config.load import load_document
from motcua.console import i18n
from motcua.console import settings as settings_pages
from motcua.console.settings_form import SECTIONS, apply, groups, mark_theirs, place, read_form

EXAMPLE = Path(__file__).parents[3] / "config" / "example.yaml"


@pytest.fixture(scope="module")
def document() -> dict:
    """The example site file as the hub sends it: JSON, accounts left out."""
    data = json.loads(json.dumps(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), default=str))
    data.pop("users", None)
    return data


def posted(page, **changes) -> MultiDict:
    """What a browser posts for the page as drawn, with ``changes`` typed in or ticked (by input name)."""
    form = MultiDict((k, v) for k, v in changes.items() if k.endswith(".remove"))
    for g in page:
        for i in g.inputs:
            if i.name in changes:
                form.add(i.name, changes[i.name])
            elif i.kind == "bool":
                if i.checked:
                    form.add(i.name, "on")
            elif i.kind == "pick":
                for value, _ in i.choices:
                    if value in i.picked:
                        form.add(i.name, value)
            else:
                form.add(i.name, i.value)
    return form


@pytest.mark.parametrize("slug", list(SECTIONS))
def test_a_page_posted_back_untouched_changes_nothing(document, slug):
    section = SECTIONS[slug]
    page = groups(section, document)
    assert page, f"{slug}: nothing to show"
    edit = read_form(section, document, posted(page))
    assert not edit, f"{slug}: {edit}"
    assert apply(edit, document, document)[0] == document


def test_one_value_typed_is_one_change_and_a_valid_document(document):
    section = SECTIONS["services"]
    edit = read_form(section, document, posted(groups(section, document), **{"services[1].daily_limit": "77",
                                                                            "services[1].hours": "08:00-11:00"}))
    assert edit.sets == {("services", 1, "daily_limit"): 77, ("services", 1, "hours"): ["08:00-11:00"]}
    new, _ = apply(edit, document, document)
    cfg = load_document(new, "site.yaml")
    assert cfg.services[1].daily_limit == 77 and len(cfg.services[1].hours) == 1


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=120)
       .map(str.strip).filter(bool))
def test_any_name_typed_comes_back_as_typed(name):
    doc = {"services": [{"id": "A", "name": {"vi": "Đất đai", "en": "Land"}, "first": 1, "last": 99}]}
    section = SECTIONS["services"]
    edit = read_form(section, doc, posted(groups(section, doc), **{"services[0].name.vi": name}))
    new, _ = apply(edit, doc, doc)
    assert new["services"][0]["name"]["vi"] == name
    assert groups(section, new)[0].inputs[1].value == name


def test_an_edit_lands_on_its_entry_in_a_newer_document_and_nothing_of_either_is_lost(document):
    section = SECTIONS["counters"]
    base = document
    form = posted(groups(section, base), **{"counters[2].name.vi": "Quầy ba mới", "counters[0].remove": "on",
                                            "counters[12].id": "99", "counters[12].name.vi": "Quầy 99",
                                            "counters[12].name.en": "Counter 99"})
    form.add("counters[12].services", "LAND")
    edit = read_form(section, base, form)
    newer = json.loads(json.dumps(base))
    newer["counters"].insert(0, {"id": "0", "name": {"vi": "Quầy 0", "en": "Counter 0"}, "services": ["LAND"]})
    newer["counters"][5]["name"]["en"] = "changed by the other"
    other = newer["counters"][5]["id"]
    merged, origin = apply(edit, newer, base)
    ids = [c["id"] for c in merged["counters"]]
    assert ids[0] == "0" and base["counters"][0]["id"] not in ids and ids[-1] == "99"
    third = next(c for c in merged["counters"] if c["id"] == base["counters"][2]["id"])
    assert third["name"]["vi"] == "Quầy ba mới"
    assert next(c for c in merged["counters"] if c["id"] == other)["name"]["en"] == "changed by the other"
    assert origin[-1] == "new"
    shown, _ = apply(dataclasses.replace(edit, removed=[]), newer, base)     # as the page shows it: removals ticked
    page = groups(section, shown)
    mark_theirs(section, page, base, newer)
    assert {i.name for g in page for i in g.inputs if i.theirs} == \
        {*(f"counters[0].{key}" for key in ("id", "name.vi", "name.en", "services")), "counters[5].name.en"}, \
        "the other's: a counter added, a name changed"


def test_the_hubs_problems_go_beside_their_inputs_and_the_rest_at_the_top(document):
    section = SECTIONS["services"]
    form = posted(groups(section, document), **{"services[7].id": "NEW", "services[0].remove": "on"})
    edit = read_form(section, document, form)
    _, origin = apply(edit, document, document)
    page = groups(section, document, typed=form)
    loose = place(["services[0].hours[1]: a window must end after it starts",      # the first kept: index 1 shown
                   "services[6].name: required key is missing",                    # the new one, last: its row
                   "services[2]: label A001, issued today, could be issued again",
                   "services: LAND: has waiting or serving tickets"], page, section, origin)
    by_name = {i.name: i for g in page for i in g.inputs}
    assert by_name["services[1].hours"].problems == ["a window must end after it starts"]
    assert page[-1].new and page[-1].problems == ["required key is missing"]
    assert page[3].problems == ["label A001, issued today, could be issued again"]
    assert loose == ["services: LAND: has waiting or serving tickets"]
    assert by_name["services[7].id"].value == "NEW" and page[0].removed, "what the user typed and ticked is kept"


def test_every_label_and_message_of_the_pages_is_in_both_languages(document):
    asked = {f"set_{slug}" for slug in SECTIONS}
    for section in SECTIONS.values():
        for i in (i for g in groups(section, document) for i in g.inputs):
            asked |= {i.label} | ({f"set_choice_{c}" for c in i.schema.choices} if i.kind == "choice" else set())
    source = (Path(settings_pages.__file__)).read_text(encoding="utf-8")
    asked |= set(re.findall(r"""["'](set_[a-z_]+)["']""", source))
    assert not sorted(asked - set(i18n.WORDS))


def test_a_box_emptied_removes_its_key_and_an_empty_optional_list_is_no_change():
    doc = {"services": [{"id": "A", "name": {"vi": "Đất đai", "en": "Land"}, "first": 1, "last": 99,
                         "daily_limit": 5}]}
    section = SECTIONS["services"]
    assert not read_form(section, doc, posted(groups(section, doc))), "no hours in the file, none posted: no change"
    edit = read_form(section, doc, posted(groups(section, doc), **{"services[0].daily_limit": ""}))
    new, _ = apply(edit, doc, doc)
    assert new["services"][0] == {"id": "A", "name": {"vi": "Đất đai", "en": "Land"}, "first": 1, "last": 99}
    json.dumps(new)                  # what goes to the hub: nothing but JSON
