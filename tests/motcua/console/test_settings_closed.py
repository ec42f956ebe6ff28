"""The services page's "Đóng hôm nay / Closed today" box (SPEC 12.1), without a process: ticked with a reason it
closes the service on the service day now, unticked it opens it again, and a closure of an earlier day, which
holds no more, is neither shown ticked nor touched."""
import copy

import pytest

from motcua.config import ConfigError
from motcua.config.load import load_document
from motcua.console.settings_form import MISSING, SECTIONS, apply, groups, read_form, today_of
from tests.motcua.console.test_settings_form import document, posted  # noqa: F401  (document: a fixture)

SERVICES = SECTIONS["services"]
BOX, VI, EN = "services[0].closed.date", "services[0].closed.reason.vi", "services[0].closed.reason.en"


def saved(doc: dict, **typed) -> tuple[dict, dict]:
    """(the edit's key paths and values, the document after it) for the services page posted with ``typed``."""
    edit = read_form(SERVICES, doc, posted(groups(SERVICES, doc), **typed))
    return edit.sets, apply(edit, doc, doc)[0]


def test_ticked_with_a_reason_closes_the_service_today_only(document):  # noqa: F811
    today = today_of(document)
    sets, new = saved(document, **{BOX: "on", VI: "Cán bộ nghỉ ốm <b>đột xuất</b>"})
    assert new["services"][0]["closed"] == {"date": today, "reason": {"vi": "Cán bộ nghỉ ốm <b>đột xuất</b>"}}
    assert sets.keys() == {("services", 0, "closed", "date"), ("services", 0, "closed", "reason", "vi")}
    cfg = load_document(new, "site.yaml")
    assert cfg.services[0].closed.reason.en == "Cán bộ nghỉ ốm <b>đột xuất</b>", "Vietnamese only: shown to all"
    page = groups(SERVICES, new)[0]
    box = next(i for i in page.inputs if i.name == BOX)
    assert box.checked and box.note == today, "the page drawn again shows it ticked, with the date"
    assert not read_form(SERVICES, new, posted(groups(SERVICES, new))), "posted back untouched: no change"


def test_unticked_opens_it_again_and_a_reason_without_the_tick_counts_for_nothing(document):  # noqa: F811
    closed = copy.deepcopy(document)
    closed["services"][0]["closed"] = {"date": today_of(document), "reason": {"vi": "Mất mạng", "en": "Offline"}}
    sets, new = saved(closed, **{BOX: ""})
    assert sets == {("services", 0, "closed"): MISSING} and "closed" not in new["services"][0]
    sets, new = saved(document, **{VI: "gõ nhầm", EN: "typo"})
    assert not sets and new == document


def test_an_earlier_days_closure_is_shown_open_and_left_alone(document):  # noqa: F811
    old = copy.deepcopy(document)
    old["services"][0]["closed"] = {"date": "2020-01-02", "reason": {"vi": "Mất mạng"}}
    box = next(i for i in groups(SERVICES, old)[0].inputs if i.name == BOX)
    assert not box.checked
    assert not read_form(SERVICES, old, posted(groups(SERVICES, old)))
    sets, new = saved(old, **{BOX: "on"})
    assert new["services"][0]["closed"] == {"date": today_of(old), "reason": {"vi": "Mất mạng"}}, \
        "ticked again: today, with the reason it had"


def test_ticked_without_a_reason_is_refused_beside_the_reason(document):  # noqa: F811
    _, new = saved(document, **{BOX: "on"})
    with pytest.raises(ConfigError) as e:
        load_document(new, "site.yaml")
    assert [line.split(": ")[0] for line in e.value.lines()] == [VI], "one problem, at the reason's input"
