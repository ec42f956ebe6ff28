"""The parts of a `config/set` that take text from the console: key paths, lists of changes, and the YAML written
back (SPEC 2.1). Properties over any input: the right answer, or a bad_request, never a crash."""
import copy

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from motcua.config.schema import dotted
from motcua.contract import ContractError
from motcua.hub.site_file import apply_changes, parse_path, render

NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
PATH = st.tuples(NAME, st.lists(st.one_of(NAME, st.integers(0, 9999)), max_size=5)).map(lambda p: (p[0], *p[1]))
TRICKY = st.sampled_from(["13:30", "07:00-11:30", "yes", "no", "on", "null", "~", "", "1e3", "0x1F", "2026-09-02",
                          "- a", "a: b", "#x", "'", '"', "Đất đai", " lead", "trail ", "*ref", "&a", "!tag", "%"])
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), TRICKY, st.text(max_size=12))
JSON = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(NAME, inner, max_size=4)), max_leaves=20)
DOC = {"site": {"id": "h", "name": "Trung tâm"}, "services": [{"id": "LAND", "hours": ["07:00-11:30"]}]}


@given(PATH)
def test_a_key_path_reads_back_as_written(path):
    assert parse_path(dotted(path)) == path


@given(st.text(max_size=40))
def test_any_text_is_a_path_or_a_bad_request(text):
    try:
        path = parse_path(text)
    except ContractError as e:
        assert e.code == "bad_request"
    else:
        assert dotted(path) == text


@given(st.lists(st.dictionaries(st.sampled_from(["path", "value", "other"]),
                                st.one_of(JSON, st.sampled_from(["services[0].hours[1]", "site.name", "services[5]",
                                                                 "site[0]", "services.x"]))), max_size=4))
def test_any_list_of_changes_applies_or_is_a_bad_request_and_never_touches_the_original(changes):
    before = copy.deepcopy(DOC)
    try:
        apply_changes(DOC, changes)
    except ContractError as e:
        assert e.code == "bad_request"
    assert DOC == before


@given(JSON.filter(lambda v: v is not None))
def test_a_value_set_is_found_at_its_path_and_null_removes_it(value):
    out = apply_changes(DOC, [{"path": "services[0].daily_limit", "value": value},
                              {"path": "services[0].hours[1]", "value": "13:30-17:00"},
                              {"path": "site.name", "value": None}])
    assert out["services"][0]["daily_limit"] == value and out["services"][0]["hours"] == ["07:00-11:30", "13:30-17:00"]
    assert "name" not in out["site"]


def test_an_index_past_the_end_of_a_list_is_refused():
    with pytest.raises(ContractError):
        apply_changes(DOC, [{"path": "services[0].hours[5]", "value": "13:30-17:00"}])


@given(st.dictionaries(NAME, JSON, max_size=4), st.dictionaries(NAME, JSON, max_size=4))
@example(old={}, new={"R": {"no": None}})          # a key YAML 1.1 reads as False, found by hypothesis in CI's run
def test_what_is_written_reads_back_as_the_document_and_keeps_comments(old, new):
    """PyYAML (YAML 1.1) reads the file every process loads: "13:30" or "yes" must come back as text."""
    text = "# kept\n" + yaml.safe_dump({"keep": 1, **old}, allow_unicode=True, sort_keys=False)
    document = {"keep": 1, **new}
    out = render(text, document)
    assert yaml.safe_load(out) == document and out.startswith("# kept\n")
