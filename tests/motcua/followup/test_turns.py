"""SPEC 3.1 and 11.1 against the real parts: a number by SMS (``LS``), following a ticket (``STT``)
and the notices of its turn, through Debian's gammu-smsd on Gammu's dummy phone, the session's
mosquitto and a real hub. The follow-up's clock is the one fake (it starts at the real time, as
the hub's hours and service day are the real ones)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.testbed import GammuSmsd, HubProcess, counter, service, site_data, wait_for, write_site
from motcua import config
from motcua.config import Names, Service
from motcua.contract import Topics
from motcua.db import transaction
from motcua.followup.inbound import read
from motcua.followup.service import FollowUp
from motcua.followup.texts import fold
from motcua.followup.transports import Gammu
from motcua.followup.turns import LATE_S, Hall, find_service
from motcua.hub import dossiers
from motcua.hub.dossier_import import to_dossier
from motcua.hubclient import HubClient, HubUnavailable
from tests.helpers import FakeClock
from tests.motcua.followup.test_followup import CODE, followup_section
from tests.motcua.test_deployment import as_user
from tests.motcua.test_deployment import secured as _secured  # noqa: F401 - the secured hall, as a fixture

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PUBLIC = "https://hcc.example.vn"


def _closed_now() -> str:
    """An hour of the day that is not now (the hub keeps the real time)."""
    return "13:00-14:00" if datetime.now(TZ).hour < 12 else "08:00-09:00"


def _quiet_not_now() -> str:
    """Quiet hours far from now, so that answers go at once whenever the suite runs (the default 21:00-07:00
    would hold them in the evening: CI found it)."""
    return "13:00-14:00" if datetime.now(TZ).hour < 12 else "02:00-03:00"


SERVICES = [
    {**service("LAND", "A"), "name": {"vi": "Đất đai", "en": "Land"}, "remote": True, "remote_daily_limit": 3},
    {**service("JUST", "B"), "name": {"vi": "Tư pháp - Hộ tịch", "en": "Justice"}, "remote": True},
    {**service("BUSI", "C"), "name": {"vi": "Đăng ký kinh doanh", "en": "Business"}, "remote": True},
    {**service("TAX", "T"), "name": {"vi": "Thuế", "en": "Tax"}},
    {**service("BUILD", "X"), "name": {"vi": "Xây dựng", "en": "Construction"}, "remote": True,
     "hours": [_closed_now()]},
]


class TurnHall:
    """A hall whose follow-up has its broker link: hub, gammu-smsd, and a counter to press next at."""

    def __init__(self, tmp, broker, smsd: GammuSmsd, services=SERVICES, **sms):
        secret = tmp / "site.secret"
        secret.write_text("s" * 40)
        data = site_data(tmp, broker.port, services=services,
                         counters=[counter(1, ["LAND", "JUST", "BUSI", "TAX"]), counter(5, ["LAND"])],
                         console={"public_url": PUBLIC, "secret_file": str(tmp / "console.secret")},
                         followup=followup_section(tmp, {"transport": "gammu", "gammu": {"config": str(smsd.config)}},
                                                   **sms))
        data["site"]["secret_file"] = str(secret)
        self.cfg = config.load(write_site(tmp, data))
        self.hub = HubProcess(self.cfg.path, tmp / "hub.log").start()
        self.desk = HubClient(self.cfg, "desk").start()
        self.desk.request(self.desk.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # the hub is up
        self.smsd, self.clock = smsd, FakeClock(datetime.now(TZ).strftime("%Y-%m-%d %H:%M:%S"))
        self.fu = FollowUp(self.cfg, dossiers.store_path(self.cfg),
                           Gammu(str(smsd.config), str(tmp / "spool")), self.clock)
        self.hall = Hall(Topics(self.cfg.mqtt.topic_root, self.cfg.site.id), self.clock)
        self.link = HubClient(self.cfg, "followup", subscriptions=self.hall.subscriptions(),
                              on_message=self.hall.on_message).start()
        self.fu.turns.attach(self.link, self.hall)

    def stop(self) -> None:
        self.link.stop()
        self.desk.stop()
        self.hub.stop()

    def texts(self, *texts: tuple[str, str]) -> None:
        """Texts arriving at the modem, in Gammu's inbox, then one pass of the follow-up."""
        expected = len(list(self.smsd.inbox.iterdir())) + len(texts)
        for phone, text in texts:
            self.smsd.receive(phone, text)
        wait_for(lambda: len(list(self.smsd.inbox.iterdir())) >= expected, 20, "the texts in Gammu's inbox")
        self.fu.run_once()

    def said(self, phone: str, event: str = "answer") -> list[str]:
        return [t for t, in self.fu.outbox.db.execute(
            "SELECT text FROM messages WHERE phone=? AND event=? ORDER BY id", (phone, event))]

    def messages(self, event: str) -> list[dict]:
        cur = self.fu.outbox.db.execute("SELECT * FROM messages WHERE event=? ORDER BY id", (event,))
        return [dict(zip([c[0] for c in cur.description], r, strict=True)) for r in cur.fetchall()]

    def sent_by_gammu(self, n: int) -> None:
        def done():
            self.fu.run_once()
            return len(list(self.smsd.sent.iterdir())) >= n
        wait_for(done, 20, f"{n} SMS sent by gammu-smsd")

    def kiosk_tickets(self, service: str, n: int) -> list[str]:
        return [self.desk.issue(service)["ticket"]["label"] for _ in range(n)]

    def next(self, counter_id: str, action: str = "next") -> dict:
        return self.desk.command(counter_id, action)["state"]

    def settle(self, label: str, ahead: int | None = None) -> None:
        """The broker's news of the hall has reached the follow-up (the hub publishes the state
        after each change); one pass then turns it into notices."""
        def seen():
            st = self.hall.state("LAND") or {}
            return st.get("last_issued") == label and (ahead is None or st.get("waiting") == ahead)
        wait_for(seen, 10, f"service state with {label} issued")
        self.fu.run_once()


UNICODE_INBOX = True         # the inbox as UTF-16: Vietnamese texts, and a broken one as it came


@pytest.fixture
def hall(tmp_path, broker, smsd):
    h = TurnHall(tmp_path, broker, smsd, quiet_hours=_quiet_not_now())
    yield h
    h.stop()


def test_a_number_by_sms_in_any_spelling_and_the_limits_of_the_hub(hall):
    day = datetime.now(TZ).strftime("%Y%m%d")
    hall.texts(("+84912000001", "ls dat dai"), ("+84912000002", "LS Đất đai"), ("+84912000003", "Ls a"),
               ("+84912000004", "lS  TƯ PHÁP"), ("+84912000005", "LS land"))
    assert hall.said("+84912000001") == [
        "TT PVHCC Quang Ngai: so cua ong/ba la A001 (Dat dai), 0 nguoi cho truoc, khoang 0 phut. "
        f"{PUBLIC}/t/{day}/A001"]
    assert hall.said("+84912000002")[0].startswith("TT PVHCC Quang Ngai: so cua ong/ba la A002 (Dat dai), 1 nguoi")
    assert "A003 (Dat dai)" in hall.said("+84912000003")[0]
    assert "B001 (Tu phap - Ho tich)" in hall.said("+84912000004")[0]
    assert hall.said("+84912000005")[0].startswith("TT PVHCC Quang Ngai: Dat dai da het so lay qua tin nhan"), \
        "remote_daily_limit (3) reached: the hub refuses, the answer names the other services"
    assert "Tu phap - Ho tich (LS B)" in hall.said("+84912000005")[0]

    hall.texts(("+84912000004", "LS B"), ("+84912000004", "LS C"), ("+84912000004", "LS kinh doanh"),
               ("+84912000006", "LS thue"), ("+84912000006", "LS xay dung"), ("+84912000007", "LS A"))
    b, c, again = hall.said("+84912000004")[1:]
    assert b.endswith("da lay du so hom nay (mot so moi linh vuc, hai so moi ngay). Lay so qua tin nhan: Dat dai "
                      "(LS A), Dang ky kinh doanh (LS C)."), "one per phone per service; the others named"
    assert "C001 (Dang ky kinh doanh)" in c
    assert again.split(". Lay so")[0] == b.split(". Lay so")[0], "two a day in all"
    tax, closed = hall.said("+84912000006")
    assert tax.startswith("TT PVHCC Quang Ngai: khong lay so qua tin nhan cho noi dung nay. Nhan LS va mot trong: "
                          "Dat dai (LS A)"), "a service not marked remote is never asked of the hub"
    assert closed.startswith(f"TT PVHCC Quang Ngai: Xay dung ngoai gio lay so, mo luc {_closed_now()[:5]}.")
    assert "Xay dung (LS X)" not in closed, "only services open now are offered"
    state = hall.desk.request(hall.desk.t.issue, {"service": "TAX", "source": "kiosk-k1"})["ticket"]
    assert state["source"] == "kiosk-k1"
    hall.sent_by_gammu(11)
    assert sorted(p.name.split("_")[3] for p in hall.smsd.sent.iterdir()).count("+84912000004") == 4, \
        "every answer went once, through gammu-smsd"


def test_a_restarted_follow_up_never_takes_two_numbers_for_one_text(hall):
    hall.texts(("+84912000001", "LS A"))
    first = hall.said("+84912000001")
    with hall.fu.outbox.transaction():        # as if killed after the hub's reply, before its own commit
        hall.fu.outbox.db.execute("DELETE FROM inbound")
        hall.fu.outbox.db.execute("DELETE FROM messages")
        hall.fu.outbox.db.execute("DELETE FROM follows")
    hall.fu.run_once()
    assert hall.said("+84912000001") == first and "A001" in first[0], "the same text, the same number"
    assert hall.desk.issue("LAND")["ticket"]["label"] == "A002", "the hub issued one number for it"


def test_a_text_waits_while_the_hub_is_down_then_gets_its_one_number(hall):
    hall.hub.stop()
    hall.texts(("+84912000001", "LS A"), ("+84912000003", "LS dat dai"))
    assert hall.fu.outbox.db.execute("SELECT COUNT(*) FROM messages UNION ALL SELECT COUNT(*) FROM inbound"
                                     ).fetchall() == [(0,), (0,)], "no answer yet, and the texts wait"
    hall.hub.start()
    hall.desk.request(hall.desk.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)
    hall.fu.run_once()
    assert "A001 (Dat dai)" in hall.said("+84912000001")[0] and "A002 (Dat dai)" in hall.said("+84912000003")[0]
    hall.hub.stop()
    hall.texts(("+84912000002", "LS A"))
    hall.clock.advance(minutes=3)
    hall.fu.run_once()
    assert hall.said("+84912000002") == ["TT PVHCC Quang Ngai: he thong lay so tam thoi khong phuc vu duoc, xin thu "
                                         "lai sau (ho tro: 0255 3822 000). Lay so qua tin nhan: Dat dai (LS A), "
                                         "Tu phap - Ho tich (LS B), Dang ky kinh doanh (LS C)."], \
        "after two minutes, the citizen is told"


def test_turn_notices_at_three_ahead_and_at_the_call_once_each_in_quiet_hours(tmp_path, broker, smsd):
    h = TurnHall(tmp_path, broker, smsd, quiet_hours="00:00-23:59")
    try:
        h.kiosk_tickets("LAND", 5)                                        # A001-A005 from the kiosk
        h.texts(("+84912000001", "LS A"), ("+84912000002", "stt a2"), ("+84912000003", "STT A 4"))
        assert "A006" in h.said("+84912000001")[0]
        assert h.said("+84912000002") == ["TT PVHCC Quang Ngai: so A002 sap den luot (hien co 1 nguoi cho truoc); "
                                          "se nhan tin khi duoc goi."], "few ahead: no near notice is promised"
        assert h.messages("turn") == [], "A004 has 3 ahead when followed: the answer says so, no notice"
        h.next("1")                                                       # A001 called: 4 wait ahead of A006
        h.settle("A006", 5)
        assert h.said("+84912000001", "turn") == []
        h.next("5")                                                       # A002 called: 3 ahead of A006
        h.settle("A006", 4)
        assert h.said("+84912000001", "turn") == ["TT PVHCC Quang Ngai: so A006 sap den luot, con 3 nguoi cho "
                                                  "truoc. Moi ong/ba quay lai."]
        assert h.said("+84912000002", "turn") == ["Moi so A002 den Quay 5."]
        h.next("5", "recall")
        h.next("1")                                                       # A003: 2 ahead of A006
        h.settle("A006", 3)
        assert len(h.said("+84912000001", "turn")) == 1 and len(h.said("+84912000002", "turn")) == 1, "once each"
        h.sent_by_gammu(2)
        assert {m["state"] for m in h.messages("turn")} <= {"sent", "handed"}, "notices go in quiet hours"
        assert {m["state"] for m in h.messages("answer")} == {"queued"}, "(answers wait for the morning)"
    finally:
        h.stop()


def test_answers_and_turn_notices_leave_the_phone_its_dossier_messages_of_the_day(tmp_path, broker, smsd):
    """per_phone_daily (3) counts dossier messages only: an LS answer and its two notices use none of it."""
    h = TurnHall(tmp_path, broker, smsd, quiet_hours=_quiet_not_now(), turn_near=0)
    try:
        now, store = datetime.now(TZ), dossiers.connect(dossiers.store_path(h.cfg))
        base = {"code": CODE, "procedure": "Cấp giấy phép xây dựng", "agency": "Sở Xây dựng", "applicant": "Võ Văn A",
                "received_at": (now - timedelta(hours=2)).isoformat(), "due_at": (now - timedelta(hours=1)).isoformat(),
                "finished_at": "", "status": 2, "phone": "0912 345 678", "note": ""}

        def put(**kw):
            d, problems = to_dossier({**base, **kw}, TZ)
            assert not problems, problems
            with transaction(store):
                dossiers.upsert(store, [d], h.clock())
        put()
        h.kiosk_tickets("LAND", 1)
        h.texts(("+84912345678", "LS A"))                                # A002, one ahead
        h.next("1")
        h.settle("A002", 1)                                              # A001 called: A002 is next
        h.next("1")
        h.settle("A002", 0)                                              # A002 called
        assert len(h.said("+84912345678", "turn")) == 2 and len(h.said("+84912345678")) == 1
        h.sent_by_gammu(4)                                               # received, the answer, two notices
        put(status=9, finished_at=now.isoformat())
        h.fu.run_once()
        [ready] = h.messages("ready")
        assert ready["state"] in ("handed", "sent") and ready["held"] is None, "handed the same day, not tomorrow"
    finally:
        h.stop()


def test_a_notice_that_would_be_late_is_dropped_not_sent_late(hall):
    hall.kiosk_tickets("LAND", 1)
    hall.texts(("+84912000001", "STT A001"), ("+84912000002", "LS A"))
    hall.smsd.stop()                                                      # the transport held
    hall.next("1")
    hall.settle("A002", 1)
    [notice] = hall.messages("turn")
    assert notice["state"] == "handed", "in gammu-smsd's outbox while the daemon is stopped"
    hall.clock.advance(seconds=LATE_S + 1)
    hall.fu.run_once()
    [notice] = hall.messages("turn")
    assert notice["state"] == "failed" and "not sent late" in notice["last_error"]

    hall.next("5")                                                        # A002 called while no pass runs
    wait_for(lambda: hall.hall.events, 10, "the call in the follow-up's hall")
    hall.clock.advance(seconds=LATE_S + 1)
    hall.fu.run_once()
    late = hall.messages("turn")[1]
    assert late["text"] == "Moi so A002 den Quay 5." and late["state"] == "failed" and late["handed"] is None
    hall.smsd.start()                                                     # the transport released
    hall.sent_by_gammu(2)                                                 # the two answers, nothing more
    hall.fu.run_once()
    sent = {p.name.rsplit(".", 1)[0].rsplit("_", 1)[-1] for p in hall.smsd.sent.iterdir()}
    assert sent == {f"m{m['id']}a1" for m in hall.messages("answer")}, "no notice went, late"


def test_stop_ends_following_and_stt_is_bounded(hall):
    hall.kiosk_tickets("LAND", 6)
    hall.texts(("+84912000001", "STT A005"), ("+84912000001", "STT A006"), ("+84912000001", "STT A004"),
               ("+84912000001", "STT A003"), ("+84912000002", "STT A999"), ("+84912000002", "STT B001"),
               ("+84912000003", "STT A006"))
    said = hall.said("+84912000001")
    assert said[3] == "TT PVHCC Quang Ngai: so dien thoai nay da theo doi du so duoc phep hom nay.", "three a day"
    assert hall.said("+84912000002") == ["TT PVHCC Quang Ngai: hom nay chua co so A999 dang cho de theo doi.",
                                         "TT PVHCC Quang Ngai: hom nay chua co so B001 dang cho de theo doi."]
    hall.texts(("+84912000003", "Stop"))
    assert hall.said("+84912000003")[-1] == ("Da ngung gui tin ve ho so va bao luot den so nay. Nhan LS, STT khi "
                                             "can lay so, duoc bao luot. Lien he 0255 3822 000 de nhan lai tin ho so.")
    hall.texts(("+84912000003", "STT A005"))
    assert hall.said("+84912000003")[-1] == ("TT PVHCC Quang Ngai: se nhan tin khi so A005 gan den luot (hien co 4 "
                                             "nguoi cho truoc)."), "a STT after STOP is the citizen asking again"
    for _ in range(6):
        hall.next("1")
    hall.settle("A006", 0)
    assert hall.said("+84912000003", "turn") == [
        "TT PVHCC Quang Ngai: so A005 sap den luot, con 3 nguoi cho truoc. Moi ong/ba quay lai.",
        "Moi so A005 den Quay 1."], "STOP ended the following of A006, asked before it; A005 was asked after"
    assert hall.fu.outbox.opted_out("+84912000003"), "dossier messages stay stopped"
    near = "TT PVHCC Quang Ngai: so {} sap den luot, con 3 nguoi cho truoc. Moi ong/ba quay lai."
    assert hall.said("+84912000001", "turn") == [near.format("A005"), near.format("A006"), "Moi so A004 den Quay 1.",
                                                 "Moi so A005 den Quay 1.", "Moi so A006 den Quay 1."], \
        "each state judged as it was: A004 followed with 3 ahead needs no near notice"


def test_a_number_asked_for_after_stop_is_given_and_followed_until_the_next_stop(hall):
    hall.texts(("+84912000001", "STOP"), ("+84912000002", "LS A"))
    hall.texts(("+84912000001", "LS A"))
    assert "A002 (Dat dai), 1 nguoi cho truoc" in hall.said("+84912000001")[-1], "LS after STOP: its number"
    hall.next("1")
    hall.settle("A002", 1)
    hall.next("5")
    hall.settle("A002", 0)
    assert hall.said("+84912000001", "turn") == ["Moi so A002 den Quay 5."], "and the notice of its call"
    hall.texts(("+84912000001", "LS B"))
    assert "B001 (Tu phap - Ho tich)" in hall.said("+84912000001")[-1]
    hall.texts(("+84912000001", "stop"))
    assert hall.next("1")["ticket"] == "B001"
    wait_for(lambda: hall.hall.events, 10, "the call of B001 in the follow-up's hall")
    hall.fu.run_once()
    assert hall.said("+84912000001", "turn") == ["Moi so A002 den Quay 5."], "a STOP again ends that following"


def test_stt_of_a_ticket_already_called_is_told_so_and_costs_no_following(hall):
    hall.kiosk_tickets("LAND", 5)
    for _ in range(4):
        hall.next("1")                                                   # A001-A003 done, A004 at the counter
    hall.settle("A005", 1)
    hall.texts(("+84912000001", "STT A001"), ("+84912000001", "STT A002"), ("+84912000001", "STT A003"),
               ("+84912000001", "STT A004"), ("+84912000001", "STT A005"))
    done = "TT PVHCC Quang Ngai: so {} da duoc goi roi. Neu ong/ba chua duoc phuc vu, xin hoi quay huong dan."
    assert hall.said("+84912000001") == [
        *(done.format(f"A00{i}") for i in range(1, 5)),
        "TT PVHCC Quang Ngai: so A005 sap den luot (hien co 0 nguoi cho truoc); se nhan tin khi duoc goi."], \
        "never '0 waiting ahead' for a ticket already called, nor a following used up by it"
    assert [f.label for f in hall.fu.outbox.follows(hall.fu.turns.day(hall.clock()), phone="+84912000001")] == ["A005"]
    later = Hall(Topics(hall.cfg.mqtt.topic_root, hall.cfg.site.id), hall.clock)     # a follow-up started now
    link = HubClient(hall.cfg, "followup-2", subscriptions=later.subscriptions(), on_message=later.on_message).start()
    try:
        wait_for(lambda: later.was_called(hall.fu.turns.day(hall.clock()), "A001"), 10, "calls/recent, retained")
    finally:
        link.stop()


def test_a_service_closed_today_is_said_so_with_its_reason_and_offered_to_no_one(tmp_path, broker, smsd):
    today = datetime.now(TZ).date().isoformat()
    closed = {"date": today, "reason": {"vi": "Mất kết nối phần mềm đăng ký kinh doanh", "en": "Registry down"}}
    services = [{**s, "closed": closed} if s["id"] == "BUSI" else s for s in SERVICES]
    h = TurnHall(tmp_path, broker, smsd, services=services, quiet_hours=_quiet_not_now())
    try:
        wait_for(lambda: (h.hall.state("BUSI") or {}).get("closed_reason") == "service_closed", 10, "BUSI closed")
        h.texts(("+84912000001", "LS kinh doanh"), ("+84912000002", "LS thue"))
        assert h.said("+84912000001") == ["TT PVHCC Quang Ngai: Dang ky kinh doanh tam ngung lay so hom nay: Mat ket "
                                          "noi phan mem dang ky kinh doanh. Lay so qua tin nhan: Dat dai (LS A), "
                                          "Tu phap - Ho tich (LS B)."]
        assert "(LS C)" not in h.said("+84912000002")[0] and "Dat dai (LS A)" in h.said("+84912000002")[0], \
            "a closed service is offered to no one"
    finally:
        h.stop()


def test_hostile_texts_never_take_a_number_nor_come_back(hall):
    hall.texts(("+84912000001", "LS <script>alert('x')</script>"), ("+84912000002", "LS \x1b[2J\x00A"),
               ("+84912000003", "LS " + "Ư" * 1000), ("+84912000004", "STT A001<b>"),
               ("+84912000005", "STT ../../etc/passwd"), ("+84912000006", "LS {centre}{label}"))
    for i in range(1, 7):
        [answer] = hall.said(f"+8491200000{i}")
        assert "script" not in answer.lower() and "passwd" not in answer and "{" not in answer
    assert hall.desk.issue("LAND")["ticket"]["label"] == "A001", "no number was taken"


def test_the_followup_user_may_ask_for_numbers_and_hear_the_hall(request, monkeypatch):
    """Against a real broker with the generated ACL: the follow-up's login takes a ticket and reads
    its reply, hears the service states and the calls, and still commands no counter."""
    cfg, broker, tmp = request.getfixturevalue("_secured")
    desk = as_user(cfg, "bridge-b1", tmp, monkeypatch)
    hall = Hall(Topics(cfg.mqtt.topic_root, cfg.site.id), datetime.now)
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", "followup")
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", str(tmp / "followup.pw"))
    fu = HubClient(config.load(cfg.path), "followup", subscriptions=hall.subscriptions(),
                   on_message=hall.on_message).start()
    label = fu.issue("LAND", timeout=0.3, tries=50)["ticket"]["label"]
    assert desk.command("1", "next", timeout=2)["state"]["ticket"] == label
    wait_for(lambda: [e for e in hall.drain() if e[0] == "call"], 10, "the call, heard by the follow-up")
    assert hall.state("LAND")["last_issued"] == label
    with pytest.raises(HubUnavailable):
        fu.command("1", "next", timeout=1, tries=1)
    fu.stop(), desk.stop()


NAMES = ["Đất đai", "Tư pháp - Hộ tịch", "Đăng ký kinh doanh", "Xây dựng"]


@given(st.sampled_from(NAMES), st.data())
def test_a_service_is_found_by_any_word_of_its_name_in_any_case_with_or_without_diacritics(name, data):
    cfg_services = [Service(s["id"], Names(**s["name"]), s["prefix"], 1, 999, None, (), remote=True)
                    for s in SERVICES]
    words = name.replace("-", " ").split()
    asked = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=len(words), unique=True))
    text = " ".join(data.draw(st.sampled_from([w, w.lower(), w.upper(), fold(w), fold(w).lower()])) for w in asked)
    ask = read(f"{data.draw(st.sampled_from(['LS', 'ls', 'Ls']))} {text}")
    assert ask.kind == "take"
    found = find_service(ask.words, cfg_services)
    assert found is not None and found.name.vi == name


@given(st.text(max_size=1200))
def test_what_a_text_asks_is_a_kind_and_only_a_label_or_code_may_come_back(text):
    ask = read(text)
    assert ask.kind in ("stop", "lookup", "take", "follow", "help")
    assert ask.label is None or (ask.kind == "follow" and ask.label.isalnum() and len(ask.label) <= 6)
