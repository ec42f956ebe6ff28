"""SPEC 10.1 and 11 for the follow-up's passes: one failing step never stops the others, held
messages are judged under the rules in force, a letter names the first due date the citizen was
given, and systemd's watchdog is fed only by completed passes (the real process, a fake
``NOTIFY_SOCKET``)."""
import socket
import subprocess
import sys
import time

from devtools.testbed import ROOT, Broker, env, site_data, wait_for, write_site
from motcua import config
from motcua.followup.service import FollowUp
from tests.motcua.followup.test_followup import CODE, Hall, followup_section, gammu_hall, pass_until_sent, run_followup

DIRECTORY = {"transport": "directory"}


def directory_hall(tmp_path, **sms) -> Hall:
    return Hall(tmp_path, {**DIRECTORY, "directory": {"path": str(tmp_path / "sms-out")}}, **sms)



def test_a_step_that_fails_in_every_pass_never_stops_the_others(tmp_path, smsd, caplog):
    h = gammu_hall(tmp_path, smsd)
    broken = tmp_path / "broken-dossiers.sqlite3"
    broken.write_bytes(b"not a database " * 500)           # the daily watch cannot read it, ever
    h.fu = FollowUp(h.cfg, str(broken), h.transport, h.clock)
    h.clock.set("2026-12-03 08:00")                          # a working day, after daily_at
    smsd.receive("+84912345678", "STOP")
    wait_for(lambda: list(smsd.inbox.iterdir()), 10, "the citizen's STOP in Gammu's inbox")
    assert h.fu.run_once() == ["daily"]
    [m] = pass_until_sent(h, 1)
    assert m["event"] == "answer" and h.fu.outbox.opted_out("+84912345678"), "the text was read and answered"
    assert "step daily of the pass failed" in caplog.text


def test_a_held_message_follows_quiet_hours_changed_in_the_config(tmp_path):
    h = directory_hall(tmp_path, quiet_hours="21:00-07:00")
    h.clock.set("2026-12-03 22:15")
    h.put(status=2, received_at="2026-12-03T21:00:00+07:00")
    h.fu.run_once()
    assert [m["state"] for m in h.messages()] == ["queued"], "held at night"
    h = directory_hall(tmp_path, quiet_hours="21:00-22:00")   # the centre shortens its quiet hours; a restart
    h.clock.set("2026-12-03 22:15")
    h.fu.run_once()
    assert [m["state"] for m in h.messages()] == ["sent"], "their end has passed: it goes now"


def test_a_message_held_by_the_daily_allowance_goes_when_the_allowance_grows(tmp_path):
    h = directory_hall(tmp_path, per_phone_daily=1)
    for i in range(2):
        h.put(code=f"000.00.53.H48-261203-000{i}", status=2)
    h.fu.run_once()
    assert [m["state"] for m in h.messages()] == ["sent", "queued"]
    h = directory_hall(tmp_path, per_phone_daily=2)
    h.fu.run_once()
    assert [m["state"] for m in h.messages()] == ["sent", "sent"]


class Notify:
    """systemd's end of sd_notify: a unix datagram socket the test reads."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)

    def env(self) -> dict:
        return {**env(), "NOTIFY_SOCKET": self.path, "WATCHDOG_USEC": "400000"}     # fed every 0.2 s at most

    def received(self, seconds: float) -> list[str]:
        got, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                got.append(self.sock.recv(256).decode())
            except TimeoutError:
                pass
        return got

    def close(self) -> None:
        self.sock.close()


def letter_text(pdf) -> str:
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())


def test_every_letter_names_the_first_due_date_the_citizen_was_given(tmp_path):
    h = directory_hall(tmp_path)
    h.put(status=4)                                                        # due 10/12, as the receipt said
    h.fu.run_once()
    for day, due in (("2026-12-04", "16"), ("2026-12-08", "21")):          # moved twice by imports
        h.clock.set(f"{day} 09:00")
        h.put(status=4, due_at=f"2026-12-{due}T17:00:00+07:00", reason="cần xác minh thực địa")
        h.fu.run_once()
    letters = sorted((tmp_path / "letters").glob("xin-loi-*.pdf"))
    assert len(letters) == 2, "one letter per new date"
    for pdf, due in zip(letters, ("16", "21"), strict=True):
        text = letter_text(pdf)
        assert "hẹn trả kết quả ngày 10/12/2026" in text and f"hẹn trả kết quả vào ngày {due}/12/2026" in text, text
    r = run_followup(h.cfg.path, "--letter", CODE)                          # written again by hand
    assert r.returncode == 0, r.stderr
    text = letter_text(r.stdout.strip())
    assert "hẹn trả kết quả ngày 10/12/2026" in text and "hẹn trả kết quả vào ngày 21/12/2026" in text, text


def test_the_watchdog_is_fed_by_completed_passes_only(tmp_path, smsd, broker):
    """A step that fails in every pass still completes the pass; a pass that hangs (the SMS
    daemon's monitor never answering) feeds nothing until it is over."""
    hang, entered, release = tmp_path / "hang", tmp_path / "entered", tmp_path / "release"
    monitor = tmp_path / "monitor"
    monitor.write_text(f'#!/bin/sh\nif [ -e "{hang}" ]; then touch "{entered}"\n'
                       f'  while [ ! -e "{release}" ]; do sleep 0.05; done\nfi\nexec gammu-smsd-monitor "$@"\n')
    monitor.chmod(0o755)
    section = followup_section(tmp_path, {"transport": "gammu", "gammu": {"config": str(smsd.config),
                                                                           "monitor": str(monitor)}},
                               quiet_hours="00:00-00:01")
    section.update(interval_s=1, daily_at="00:00", holidays=[])
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, followup=section)))
    (tmp_path / "hub-dossiers.sqlite3").write_bytes(b"not a database " * 500)   # the daily watch fails each pass
    notify = Notify(tmp_path / "notify")
    log = tmp_path / "fu.log"
    p = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(cfg.path)], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=open(log, "ab"), env=notify.env())
    try:
        first = notify.received(4)
        assert "READY=1" in first[0] and first.count("WATCHDOG=1") >= 3, first
        assert "step daily of the pass failed" in log.read_text(), "fed though a step fails in every pass"
        hang.touch()
        wait_for(entered.exists, 10, "a pass hanging in gammu-smsd-monitor")
        notify.received(0.3)                                      # what was sent before it hung
        assert "WATCHDOG=1" not in notify.received(2), "a pass that hangs feeds nothing"
        release.touch()
        assert "WATCHDOG=1" in notify.received(3), "fed again once the pass is over"
        p.terminate()
        assert p.wait(10) == 0
    finally:
        p.kill()
        notify.close()


def test_the_watchdog_stops_when_the_broker_is_away_longer_than_the_limit(tmp_path):
    """The real follow-up with SPEC 10.1's minute shortened (MOTCUA_DOWN_LIMIT_S=3): fed while the
    broker is away for less, starved after, fed again once it is back."""
    broker = Broker(tmp_path / "broker").start()
    section = followup_section(tmp_path, {**DIRECTORY, "directory": {"path": str(tmp_path / "sms-out")}})
    section["interval_s"] = 1
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, followup=section)))
    notify = Notify(tmp_path / "notify")
    p = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(cfg.path)], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**notify.env(), "MOTCUA_DOWN_LIMIT_S": "3"})
    try:
        assert notify.received(3).count("WATCHDOG=1") >= 3
        broker.stop()
        away = time.monotonic()
        assert "WATCHDOG=1" in notify.received(1.5), "away for less than the limit: still fed"
        time.sleep(max(0.0, away + 3.5 - time.monotonic()))
        notify.received(0.3)                                # what was sent before the limit
        assert "WATCHDOG=1" not in notify.received(2), "away longer: starved, so systemd restarts it"
        broker.start()
        assert "WATCHDOG=1" in notify.received(8), "fed again once the broker is back"
        p.terminate()
        assert p.wait(10) == 0
    finally:
        p.kill()
        broker.stop()
        notify.close()
