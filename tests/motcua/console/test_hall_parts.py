"""What the live hall says beside the hub, the copies and the standby (SPEC 14): from their retained details."""
import json

from devtools.testbed import site_data, write_site
from motcua import config
from motcua.console.hall import Hall


def _hall(tmp_path) -> Hall:
    return Hall(config.load(write_site(tmp_path, site_data(tmp_path))))


def _notes(hall: Hall) -> dict:
    return {p.name: p.note for p in hall.snapshot()["parts"]}


def test_the_hall_says_which_board_is_the_hub_and_when_it_started_from_a_copy(tmp_path):
    hall = _hall(tmp_path)
    root = f"motcua/{hall.cfg.site.id}"
    hall.message(f"{root}/status/hub/detail", json.dumps({"board": "bang-2", "restored": True}).encode(), True)
    assert _notes(hall)["hub"] == ("máy bang-2; chạy từ bản sao", "board bang-2; started from a copy")


def test_a_copy_falling_behind_is_said_with_its_last_copy_and_lag(tmp_path):
    hall = _hall(tmp_path)
    root = f"motcua/{hall.cfg.site.id}"
    detail = {"board": "ki-ot-1", "copy_at": "2026-12-07T09:15:02+07:00", "lag_s": 42, "problem": "behind"}
    hall.message(f"{root}/status/standby", b"offline", True)
    hall.message(f"{root}/status/standby/detail", json.dumps(detail).encode(), True)
    vi, en = _notes(hall)["standby"]
    assert vi == "bản sao bị chậm; máy ki-ot-1; bản sao lúc 09:15:02; chậm 42 s"
    assert en == "the copy is falling behind; board ki-ot-1; last copy at 09:15:02; 42 s behind"


def test_a_detail_that_makes_no_sense_says_nothing(tmp_path):
    hall = _hall(tmp_path)
    root = f"motcua/{hall.cfg.site.id}"
    for payload in [{"board": ["x"]}, {"problem": "<b>x</b>", "lag_s": True}, {}]:
        hall.message(f"{root}/status/replica/detail", json.dumps(payload).encode(), True)
        assert _notes(hall)["replica"] is None


def test_a_hub_that_cannot_write_its_ledger_is_said_beside_it_and_no_longer_once_it_can(tmp_path):
    hall = _hall(tmp_path)
    root = f"motcua/{hall.cfg.site.id}"
    hall.message(f"{root}/status/hub/detail", json.dumps({"board": "bang-1", "problem": "disk_full"}).encode(), True)
    assert _notes(hall)["hub"] == ("thẻ nhớ của hub đã đầy: không cấp được số mới; máy bang-1",
                                   "the hub's disk is full: no new number; board bang-1")
    hall.message(f"{root}/status/hub/detail", json.dumps({"board": "bang-1"}).encode(), True)
    assert _notes(hall)["hub"] == ("máy bang-1", "board bang-1")
