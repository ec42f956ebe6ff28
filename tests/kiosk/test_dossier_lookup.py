"""A dossier looked up at the kiosk: every outcome through a real hub and mosquitto (found, a scanned
URL, not found, malformed answered locally without spending the allowance, the limit reached, the hub
stopped and gone), one lookup at a time, and the dossier and each problem as the citizen reads them."""
import json
import signal
from zoneinfo import ZoneInfo

from devtools.testbed import wait_for
from kiosk.__main__ import wire
from kiosk.dossier_lookup import Answer, DossierLookup, dossier_rows, problem_text, status_line
from kiosk.taking import KioskModel
from kiosk.ui.tour_steps import FOUND, SCANNED, UNKNOWN
from motcua.contract import DOSSIER_CODE_EXAMPLE
from motcua.hubclient import HubClient

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def kiosk_lookup(cfg, timeout: float = 3.0) -> tuple[DossierLookup, HubClient, KioskModel]:
    """The kiosk's lookup wired as ``python -m kiosk`` wires it, without a window."""
    model, lookup, client, _ = wire(cfg, cfg.kiosks[0], "kiosk-k1")
    client.start()
    wait_for(lambda: model.hub_ok, 10, "hub online")
    lookup.timeout = timeout
    return lookup, client, model


def test_each_lookup_outcome_through_the_real_hub(dossier_hall):
    cfg, hub, _ = dossier_hall
    lookup, client, _ = kiosk_lookup(cfg)
    found = lookup.ask(" 000.00.53.h48-250915-0012 ")         # as a citizen might type it
    assert found.kind == "found" and found.code == FOUND
    d = found.dossier
    assert (d["status"], d["applicant"], d["timeliness"]) == (10, "Nguyễn V** A*", "early")
    assert "phone" not in d and "0905" not in json.dumps(d)

    scanned = lookup.ask(SCANNED)                              # a receipt's QR holds a URL
    assert scanned.kind == "found" and scanned.code == "000.00.53.H48-251112-0003"
    assert lookup.ask(UNKNOWN).kind == "not_found"
    for bad in ("12345", "000.00.53.H48-251332-0001", "x" * 600, ""):   # the date 32/13 does not exist
        assert lookup.ask(bad).kind == "invalid_code", bad
    # malformed codes are answered by the kiosk and cost none of the 10 lookups a minute: 3 spent
    kinds = [lookup.ask(UNKNOWN).kind for _ in range(8)]
    assert kinds == ["not_found"] * 7 + ["rate_limited"]
    client.stop()


def test_the_hub_away_says_unavailable_without_hanging(dossier_hall):
    cfg, hub, _ = dossier_hall
    lookup, client, model = kiosk_lookup(cfg, timeout=0.5)
    hub.proc.send_signal(signal.SIGSTOP)                       # alive but not answering
    try:
        assert lookup.ask(FOUND).kind == "unavailable"
    finally:
        hub.proc.send_signal(signal.SIGCONT)
    assert lookup.ask(FOUND).kind == "found"
    hub.stop()                                                 # gone: its last will says offline
    wait_for(lambda: not model.hub_ok, 10, "hub offline")
    assert lookup.ask(FOUND).kind == "unavailable"
    client.stop()


def test_one_lookup_at_a_time(dossier_hall):
    cfg, _, _ = dossier_hall
    lookup, client, _ = kiosk_lookup(cfg)
    done = []
    assert lookup.start(FOUND, done.append)
    assert not lookup.start(FOUND, done.append), "a second tap while the first is asked"
    wait_for(lambda: done, 5, "the answer")
    assert [o.kind for o in done] == ["found"] and not lookup.busy
    client.stop()



DOSSIER = {"code": DOSSIER_CODE_EXAMPLE, "procedure": "Đăng ký khai sinh", "agency": "UBND xã",
           "received_at": "2022-09-21T01:20:00+00:00", "due_at": "2022-09-23T17:00:00+07:00", "finished_at": None,
           "status": 4, "status_text": {"vi": "Đang xử lý", "en": "Being processed"}, "timeliness": "overdue",
           "applicant": "Nguyễn V** A*", "note": ""}


def test_a_dossier_as_the_citizen_reads_it():
    assert status_line(DOSSIER, "vi") == ("Đang xử lý", "Đã quá hạn trả kết quả", False)
    assert status_line(DOSSIER, "en") == ("Being processed", "Past the due date", False)
    rows = dict(dossier_rows(DOSSIER, "vi", TZ))
    assert rows["Ngày tiếp nhận"] == "21/09/2022 08:20", "shown in the site's zone"
    assert rows["Ngày hẹn trả"] == "23/09/2022"
    assert "Ngày hoàn thành" not in rows and "Ghi chú" not in rows, "empty fields are left out"
    odd = dict(dossier_rows({**DOSSIER, "due_at": "soon", "timeliness": None}, "en", TZ))
    assert odd["Due"] == "soon"
    assert status_line({**DOSSIER, "timeliness": None}, "vi")[1:] == ("", True)


def test_every_problem_says_what_to_do_in_both_languages():
    for kind in ("invalid_code", "not_found", "rate_limited", "unavailable"):
        vi_title, vi_body = problem_text(Answer(kind, "X"), "vi")
        en_title, en_body = problem_text(Answer(kind, "X"), "en")
        assert vi_title != en_title and vi_body and en_body
    assert DOSSIER_CODE_EXAMPLE in problem_text(Answer("invalid_code", "12"), "vi")[1]
    assert "000.00.53.H48-250101-0001" in problem_text(Answer("not_found", "000.00.53.H48-250101-0001"), "en")[1]

