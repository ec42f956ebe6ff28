"""Every problem of the site file is said in Vietnamese first, then in English: each check below asserts that a
problem has both texts and that its Vietnamese holds letters the English lacks (not the English said twice). The
supervisor reads it beside a field of the console's settings pages in the page's language, the technician reads both
from ``--check-config``. Each check of the schema and across sections is made to speak here, so a new check that
says only one language fails."""
import copy

import pytest

from devtools.testbed import counter, service, site_data, write_site
from motcua import config
from motcua.config import ConfigError
from motcua.config.load import DocumentError, load_document
from motcua.config.schema import Problem

NOT_A_HASH = "mat-khau-go-nham-cho"
HASH = "scrypt$16384$8$1$c2FsdA==$aGFzaA=="


def problems_of(document: dict, tmp_path) -> list[Problem]:
    with pytest.raises(DocumentError) as e:
        load_document(document, str(tmp_path / "site.yaml"))
    return [p for _, p in e.value.problems]


def says_both(p: Problem) -> bool:
    """Vietnamese that is not the English: a letter of Vietnamese the English lacks, as text an officer reads."""
    return bool(p.vi and p.en) and any(ord(c) > 127 and c.isalpha() for c in set(p.vi) - set(p.en))


def schema_mistakes(tmp_path) -> dict:
    """One of each kind of mistake the schema itself finds, each at its own key."""
    d = site_data(tmp_path)
    d["site"].update(timezone="Asia/Hanoi", id="Trung Tam", nme="x")
    d["mqtt"]["port"] = 0
    d["hub"]["default_service_minutes"] = "five"
    d["hub"]["replicas"] = [{"max_lag_s": 60}]
    d["priority"]["mode"] = "fastest"
    d["services"][0].update(hours=["11:30-07:30", "7-11"], prefix="abc", remote="yes")
    d["services"][1]["name"] = "Tư pháp"
    del d["services"][1]["first"]
    d["counters"][0]["services"] = "LAND"
    d["kiosks"] = [{"id": "k1", "printer": {"connection": "usb-c", "paper_width_mm": 70}, "ticket_qr": "{nope}",
                    "screen": {"diagonal_in": 200}, "maintenance_pin": "12ab"}]
    d["displays"] = [{"id": "hall", "counters": ["1"], "phrase": "Mời số {ticket} đến {quay}"}]
    d["calendar"] = {"working_days": ["mon", "teu"], "holidays": ["2027-02-30", True],
                     "sessions": [{"date": "2027-01-09", "hours": []}]}
    d["console"] = {"listen": "everywhere", "secret_file": "/x"}
    d["users"] = [{"name": "giamsat", "role": "supervisor", "password_hash": NOT_A_HASH}]
    d["followup"] = {"database": "x", "letters_dir": "y", "letter": {"agency": "A", "place": "P"},
                     "sms": {"transport": "directory", "directory": {"path": "z"}, "templates": {"ready": "{nope}"}}}
    return d


SCHEMA_PATHS = {
    "site.timezone", "site.id", "site.nme", "mqtt.port", "hub.default_service_minutes", "hub.replicas[0]",
    "priority.mode", "services[0].hours[0]", "services[0].hours[1]", "services[0].prefix", "services[0].remote",
    "services[1].name", "services[1].first", "counters[0].services", "kiosks[0].printer.connection",
    "kiosks[0].printer.paper_width_mm", "kiosks[0].ticket_qr", "kiosks[0].screen.diagonal_in",
    "kiosks[0].maintenance_pin", "displays[0].phrase", "calendar.working_days[1]", "calendar.holidays[0]",
    "calendar.holidays[1]", "calendar.sessions[0].hours", "console.listen", "users[0].password_hash",
    "followup.sms.templates",
}


def test_every_mistake_the_schema_finds_is_said_in_vietnamese_then_in_english(tmp_path):
    found = problems_of(schema_mistakes(tmp_path), tmp_path)
    assert SCHEMA_PATHS <= {p.dotted for p in found}, sorted(SCHEMA_PATHS - {p.dotted for p in found})
    assert [p for p in found if not says_both(p)] == []
    assert all(p.message == f"{p.vi} / {p.en}" for p in found)
    said = {p.dotted: p for p in found}
    assert said["mqtt.port"].vi == "0: phải là số nguyên từ 1 đến 65535"
    assert said["site.nme"].vi == "không có khóa này; có phải ý bạn là 'name'?"
    assert said["services[0].hours[1]"].vi == "'7-11': phải có dạng HH:MM-HH:MM, ví dụ 07:30-11:30"
    assert said["services[1].first"].message == "thiếu khóa bắt buộc / required key is missing"
    assert said["hub.default_service_minutes"].message == \
        "cần một số nguyên, không phải chữ 'five' / expected a whole number, got str 'five'"
    assert "12ab" not in said["kiosks[0].maintenance_pin"].message, "a PIN is never shown, in either language"


def test_every_mistake_across_sections_is_said_in_vietnamese_then_in_english(tmp_path):
    d = site_data(tmp_path, services=[service("LAND", "A", 1, 999), service("JUST", "A", 500, 600),
                                      service("LAND", "B", 50, 10)],
                  counters=[counter(1, ["LANDS"]), counter(2, ["JUST"])])
    d["displays"] = [{"id": "hall", "counters": ["9"]}]
    d["bridges"] = [{"id": "b1", "ports": [{"device": "/dev/ttyUSB0", "keypads": {5: "1", 6: "1", 7: "7"}}]}]
    d["kiosks"] = [{"id": "k1", "printer": {"connection": "network"}}]
    d["users"] = [{"name": "quay1", "role": "clerk", "password_hash": HASH},
                  {"name": "quay1", "role": "clerk", "counters": ["8"], "password_hash": HASH}]
    d["calendar"] = {"sessions": [{"date": "2027-01-09", "hours": ["07:30-11:30"], "services": ["JUTS"]}]}
    d["followup"] = {"database": "x", "letters_dir": "y", "letter": {"agency": "A", "place": "P"},
                     "sms": {"transport": "gammu"}}
    found = problems_of(d, tmp_path)
    expected = {"services[1]", "services[2].id", "services[2].first", "counters[0].services[0]",
                "displays[0].counters[0]", "bridges[0].ports[0].keypads[6]", "bridges[0].ports[0].keypads[7]",
                "kiosks[0].printer.host", "users[0].counters", "users[1].name", "users[1].counters[0]",
                "calendar.sessions[0].services[0]", "followup.sms.gammu"}
    assert expected <= {p.dotted for p in found}, sorted(expected - {p.dotted for p in found})
    assert [p for p in found if not says_both(p)] == []
    said = {p.dotted: p for p in found}
    assert said["counters[0].services[0]"].message == \
        "không có dịch vụ 'LANDS'; có phải ý bạn là 'LAND'? / unknown service 'LANDS' (did you mean 'LAND'?)"
    assert said["bridges[0].ports[0].keypads[6]"].vi == "quầy '1' đã có bàn phím ở bridges[0].ports[0].keypads[5]"


def test_the_command_line_prints_file_line_path_then_vietnamese_then_english(tmp_path):
    d = site_data(tmp_path)
    d["services"][0]["hours"] = ["17:00-08:00"]
    path = write_site(tmp_path, d)
    with pytest.raises(ConfigError) as e:
        config.load(path, "kiosks", "k9")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "17:00-08:00" in text)
    assert e.value.lines() == [
        f"{path}:{line}: services[0].hours[0]: giờ kết thúc phải sau giờ bắt đầu / a window must end after it starts"]
    del d["services"][0]["hours"]
    with pytest.raises(ConfigError) as e:
        config.load(write_site(tmp_path, d), "kiosks", "k9")
    assert e.value.lines()[0].endswith(": kiosks: không có mục nào có mã 'k9' (chạy với --id k9) / "
                                       "no entry with id 'k9' (started with --id k9)")


def test_a_problem_in_one_language_for_a_page_in_that_language():
    p = Problem(("services", 0, "hours", 1), "giờ kết thúc phải sau giờ bắt đầu", "a window must end after it starts")
    assert p.line("vi") == "services[0].hours[1]: giờ kết thúc phải sau giờ bắt đầu"
    assert p.line("en") == "services[0].hours[1]: a window must end after it starts"
    assert p.line() == "services[0].hours[1]: giờ kết thúc phải sau giờ bắt đầu / a window must end after it starts"


def test_the_same_document_gives_the_same_problems(tmp_path):
    d = schema_mistakes(tmp_path)
    assert problems_of(copy.deepcopy(d), tmp_path) == problems_of(d, tmp_path), "nothing in a problem is random"
