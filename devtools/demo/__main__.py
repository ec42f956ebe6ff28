"""``make demo``: a whole hall on one machine — broker, hub, keypad bridge with simulated keypads
on a pseudo-terminal, a printer emulator, a wall screen with its voice, and a scripted morning.

The demo runs from ``demo-out/``: its own mosquitto on a free port, the example site with the
database there and ticket windows opened all day (so the demo works at any hour), and a morning
of tickets and key presses (calls, a transfer, a no-show, a recall, a pause, a rating) through the
real serial protocol, logged in Vietnamese and English from the hub's own call events; then the
follow-up's SMS, a number taken by SMS (``LS``) with its turn notices, and tickets printed with
their SMS line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from firmware_bridge.simulator import Bus, KeypadSim
from motcua import config
from motcua.contract import ANY, Topics
from motcua.hubclient import HubClient
from motcua.site_sync import copy_path

from ..testbed import ROOT, Broker, GammuSmsd, PtyPair, free_port, wait_for
from . import console as demo_console
from . import followup as demo_followup

OUT = ROOT / "demo-out"


class Hall:
    """The processes of the demo hall; each is stopped by PID at the end."""

    def __init__(self, out: Path):
        self.out, self.procs = out, []
        self.broker = Broker(out / "broker")
        self.line = PtyPair(out, "tty")       # one RS-485-like line: the bridge on A, the keypads on B
        self.smsd = GammuSmsd(out / "gammu")  # the SMS daemon on Gammu's dummy phone

    def start_broker(self) -> None:
        self.broker.start()
        self.port = self.broker.port

    def start_serial_line(self) -> None:
        self.line.start()
        self.bridge_side, self.keypad_side = self.line.a, self.line.b

    def site_file(self) -> Path:
        data = yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))
        data["mqtt"]["port"] = self.port
        data["hub"]["database"] = str(self.out / "hub.sqlite3")
        for s in data["services"]:
            s["hours"] = ["00:00-23:59"]
        data["bridges"] = [{"id": "b1", "ports": [{"device": str(self.bridge_side), "baudrate": 115200,
                                                   "keypads": {i: str(i) for i in range(1, 12)}}]}]
        for d in data.get("displays", []):
            d["voice"] = {**(d.get("voice") or {}), "save_dir": str(self.out / "voice")}
            d.setdefault("notice", "Trung tâm làm việc sáng 7:00–11:30, chiều 13:30–17:00. "
                                   "Vui lòng giữ trật tự và chờ đến lượt. — Open 7:00–11:30 and 13:30–17:00.")
        self.printer_port = free_port()
        for k in data.get("kiosks", []):
            k["printer"] = {"connection": "network", "host": "127.0.0.1", "port": self.printer_port,
                            "paper_width_mm": 80}
            k["ticket_sms_line"] = True        # "Nhắn STT A012 gửi 0912 000 111 …" under the QR
        data["site"]["secret_file"] = demo_followup.site_secret(self.out)    # numbers by SMS hash phones with it
        data["followup"] = demo_followup.section(self.out, self.smsd)
        data["console"], data["users"] = demo_console.section(self.out)     # counter 12: no keypad, a PC
        path = self.out / "site.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    def spawn(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        p = subprocess.Popen(argv, stdout=open(self.out / f"{name}.log", "ab"), stderr=subprocess.STDOUT, cwd=ROOT,
                             env=env)
        self.procs.append(p)
        return p

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.smsd.stop()
        self.line.stop()
        self.broker.stop()


def board_env() -> dict:
    """A window where there is a screen; real frames drawn offscreen where there is none."""
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(OUT / "kivy")}
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        env.update(SDL_VIDEODRIVER="offscreen", SDL_AUDIODRIVER="dummy")
    return env


def say(vi: str, en: str = "") -> None:
    print(f"{time.strftime('%H:%M:%S')}  {vi}" + (f"\n{'':10}{en}" if en else ""), flush=True)


def on_message(cfg, states: dict, applied: dict):
    """Print call events as the hub publishes them; keep the latest service states, and the site document's version
    each process says it runs on."""
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)

    def handle(msg) -> None:
        p = t.parse(msg.topic)
        if p is not None and p.kind == "service_state":
            st = json.loads(msg.payload)
            states[st["service"]] = st
        if p is not None and p.kind == "config_status" and msg.payload:
            applied[p.component] = {**json.loads(msg.payload), "at": time.monotonic()}
        if p is None or p.kind != "call":
            return
        e = json.loads(msg.payload)
        name = cfg.by_counter[e["counter"]].name
        again = " (gọi lại)" if e["recall"] else ""
        say(f"📢 Xin mời công dân có số thứ tự {e['ticket']} đến {name.vi.lower()}{again}",
            f"   Calling {e['ticket']} to {name.en}{' (recall)' if e['recall'] else ''}")
    return handle


def take(site: Path, kiosk_id: str, service: str, priority: bool) -> None:
    """A citizen takes a number: the kiosk's own flow (issue, print, confirm) from its command line."""
    r = subprocess.run([sys.executable, "-m", "kiosk.printing", "--config", str(site), "--id", kiosk_id,
                        "--take", service, *(["--priority"] if priority else []), "--log-level", "WARNING"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = (r.stdout if r.returncode == 0 else r.stderr).strip().splitlines()
    vi, en = (lines[-2:] + ["", ""])[:2]
    say(f"{'🎫' if r.returncode == 0 else '⚠ '} {vi}", f"   {en}")


def morning(c: HubClient, cfg, site: Path, states: dict, keypads: dict) -> None:
    """The script: what a clerk and a citizen would do on a busy morning."""
    svc = cfg.by_service
    for service, prio in [("LAND", False), ("LAND", False), ("JUSTICE", False), ("LAND", True),
                          ("BUSINESS", False), ("TAX", False), ("LAND", False), ("JUSTICE", False)]:
        take(site, cfg.kiosks[0].id, service, prio)
    steps = [("1", "NEXT", None, "Quầy 1 bấm GỌI TIẾP", "Counter 1 presses NEXT"),
             ("2", "NEXT", None, "Quầy 2 bấm GỌI TIẾP", "Counter 2 presses NEXT"),
             ("6", "NEXT", None, "Quầy 6 bấm GỌI TIẾP", "Counter 6 presses NEXT"),
             ("1", "RECALL", None, "Quầy 1 gọi lại", "Counter 1 recalls"),
             ("1", "SKIP", None, "Quầy 1: công dân vắng mặt, gọi số kế tiếp", "Counter 1: no-show, next"),
             ("2", "TRANSFER", "JUSTICE", "Quầy 2 chuyển hồ sơ sang Tư pháp", "Counter 2 transfers to Justice"),
             ("7", "NEXT", None, "Quầy 7 bấm GỌI TIẾP", "Counter 7 presses NEXT"),
             ("5", "NEXT", None, "Quầy 5 bấm GỌI TIẾP", "Counter 5 presses NEXT"),
             ("6", "PAUSE", None, "Quầy 6 tạm nghỉ", "Counter 6 pauses"),
             ("1", "DONE", None, "Quầy 1 xong", "Counter 1 done"),
             ("1", "DONE", None, "Quầy 1 bấm XONG lần nữa (nhầm)", "Counter 1 presses DONE again (by mistake)"),
             ("6", "RESUME", None, "Quầy 6 làm việc lại", "Counter 6 resumes")]
    for counter, key, arg, vi, en in steps:
        say(f"⌨  {vi}", f"   {en}")
        keypads[counter].press(key, arg)
        time.sleep(0.5)
        say(f"   [LED quầy {counter}] {keypads[counter].display}")
    keypads["7"].rate(3)
    say("⭐ Công dân ở quầy 7 đánh giá: Rất hài lòng", "   The citizen at counter 7 rates: very satisfied")
    time.sleep(0.3)
    for sid, st in sorted(states.items()):
        if st["issued"]:
            say(f"📊 {svc[sid].name.vi}: đã phát {st['issued']}, đang chờ {st['waiting']}, "
                f"đã phục vụ {st['served']}, vắng mặt {st['no_show']}",
                f"   {svc[sid].name.en}: issued {st['issued']}, waiting {st['waiting']}, "
                f"served {st['served']}, no-show {st['no_show']}")
    lookup_dossier(c)
    say(f"🖨  Các phiếu đã in / printed tickets: {OUT / 'printer'}")
    say("✅ Buổi sáng mô phỏng đã xong. Nhật ký trong demo-out/.",
        "   The scripted morning is over. Logs in demo-out/.")


def lookup_dossier(c: HubClient) -> None:
    """A citizen scans the QR of a receipt slip at the kiosk."""
    scanned = "https://dichvucong.quangngai.gov.vn/tra-cuu?ma=000.00.53.H48-251112-0003"
    say(f"🔎 Tra cứu hồ sơ (quét mã): {scanned}", "   Dossier lookup (scanned)")
    r = c.request(c.t.lookup, {"code": scanned, "source": "demo"})
    if r["ok"]:
        d = r["dossier"]
        say(f"   {d['code']} — {d['procedure']} — {d['applicant']}: {d['status_text']['vi']}. {d['note']}",
            f"   {d['status_text']['en']}; due {d['due_at'][:10]}, {d['timeliness']}")
    else:
        say(f"   {r['error']['text']['vi']}", f"   {r['error']['text']['en']}")


def kiosk_tour(site: Path, kiosk_id: str) -> None:
    """A citizen at the kiosk, touch by touch: a ticket, a priority ticket, then a dossier typed on
    the on-screen keyboard, one scanned, and every way a lookup can fail."""
    tour = subprocess.run([sys.executable, "-m", "kiosk.ui.tour", str(site), kiosk_id, str(OUT / "kiosk")],
                          env=board_env(), cwd=ROOT, capture_output=True, text=True, timeout=240)
    if tour.returncode != 0:
        say(f"🖐  Kiosk: lượt chạm thử thất bại / the kiosk tour failed: {tour.stderr[-500:]}")
        return
    s = json.loads(tour.stdout.strip().splitlines()[-1])
    found = s.get("lookups", {}).get("found", {})
    say(f"🖐  Kiosk: phiếu {s.get('label')} và {s.get('priority_label')} (ưu tiên); tra cứu {s.get('typed')}: "
        f"{found.get('status')} — {found.get('timeliness')}",
        f"   The kiosk, touched: {len(s['screens'])} screens, large text too, saved in {OUT / 'kiosk'}; "
        f"the faintest text {min(c['lowest'] or 21 for c in s['contrast'].values())}:1 (7:1 needed)")


NEW_NOTICE = "Chiều nay 14:00–15:00 tạm ngừng nhận hồ sơ đất đai — Land desk closed 14:00–15:00 today"


def live_notice(console: str, cfg, applied: dict) -> None:
    """The supervisor changes the wall screen's notice on its settings page; the running wall screen takes it (its
    status on the broker says so), and a wall screen's board that knows only the broker, started now from a small
    file, draws it from the hub's document on ``<R>/config``: ``board-live-notice.png``."""
    saved = demo_console.change_notice(console, OUT, NEW_NOTICE, say)
    if saved is None:
        return
    version, clicked = saved
    status = wait_for(lambda: (applied.get("display-hall") or {}).get("version") == version
                      and applied["display-hall"], 15, "the wall screen's status")
    took = status["at"] - clicked
    say(f"🖥  Bảng gọi số đang chạy đã áp dụng phiên bản {version} {took:.1f} s sau khi bấm Lưu "
        f"(applied={status['applied']})", f"   The running wall screen took version {version} {took:.1f} s after Save")
    small = OUT / "board-small.yaml"
    copy_path(small).unlink(missing_ok=True)
    small.write_text(yaml.safe_dump({"site": {"id": cfg.site.id}, "mqtt": {"host": "127.0.0.1", "port": cfg.mqtt.port,
                                                                            "topic_root": cfg.mqtt.topic_root},
                                     "displays": [{"id": "hall", "counters": ["1"]}]}, allow_unicode=True),
                     encoding="utf-8")
    with open(OUT / "board-live-notice.log", "wb") as log:
        subprocess.run([sys.executable, "-m", "display_board", "--config", str(small), "--id", "hall",
                        "--screenshot", str(OUT / "board-live-notice.png")], env=board_env(), cwd=ROOT,
                       stdout=log, stderr=subprocess.STDOUT, timeout=60)
    say(f"🖥  Bảng gọi số với thông báo mới (lấy từ <R>/config): {OUT / 'board-live-notice.png'}",
        "   A wall screen with the new notice, drawn from the hub's document on the broker")


def wait_if_someone_is_here(say, address: str) -> None:
    """At a terminal the hall stays up for the person to try the console; a scripted run ends."""
    if not sys.stdin.isatty() or os.environ.get("CI"):
        return
    say(f"▶  Vẫn chạy: mở {address} — nhấn Ctrl-C để dừng.", "   Still running: open it — press Ctrl-C to stop.")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass


def main() -> int:
    OUT.mkdir(exist_ok=True)
    if "--province" in sys.argv[1:]:
        from . import province as demo_province
        demo_province.run(OUT, say, lambda: wait_if_someone_is_here(say, "/province"))
        return 0
    for old in [*OUT.glob("hub*.sqlite3*"), *OUT.glob("followup*.sqlite3*"), *OUT.glob("printer/*.png"),
                *OUT.glob("voice/*.wav"), *OUT.glob("letters/*"), *OUT.glob("gammu/*/*"),
                *OUT.glob("*.from-hub.yaml"), *OUT.glob("site.yaml.history/*")]:     # a new hall: version 1
        if old.is_file():
            old.unlink()
    hall = Hall(OUT)
    try:
        hall.start_broker()
        hall.start_serial_line()
        site = hall.site_file()
        cfg = config.load(site)
        say(f"Khởi động hội trường: mosquitto :{hall.port}, hub", f"   Starting the hall: broker :{hall.port}, hub")
        subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(site), "--import-dossiers",
                        str(ROOT / "config" / "sample-dossiers.csv")], check=True)
        hall.spawn("hub", [sys.executable, "-m", "motcua.hub", "--config", str(site)])
        console = demo_console.start(hall.spawn, site, cfg, say)
        hall.spawn("bridge", [sys.executable, "-m", "firmware_bridge", "--config", str(site), "--id", "b1"])
        hall.spawn("printer", [sys.executable, "-m", "kiosk.printing.emulator", "--port", str(hall.printer_port),
                               "--out", str(OUT / "printer")])
        hall.spawn("display", [sys.executable, "-m", "display_board", "--config", str(site), "--id", "hall"],
                   env=board_env())
        t = Topics(cfg.mqtt.topic_root, cfg.site.id)
        states: dict = {}
        applied: dict = {}
        c = HubClient(cfg, "demo", subscriptions=(t.call, t.service_state(ANY), t.config_status(ANY)),
                      on_message=on_message(cfg, states, applied), announce=False).start()
        c.issue("?", timeout=0.2, tries=100)    # returns once the hub answers
        kiosk = cfg.kiosks[0]
        bus, keypads = Bus(str(hall.keypad_side)), {}
        for _, addr, counter in cfg.bridges[0].keypads:
            keypads[counter] = KeypadSim(bus, addr)
            keypads[counter].hello()
        say(f"⌨  {len(keypads)} bàn phím mô phỏng trên {hall.keypad_side}",
            f"   {len(keypads)} simulated keypads on a pseudo-terminal")
        morning(c, cfg, site, states, keypads)
        hall.smsd.start()
        demo_followup.run(hall.spawn, site, cfg, c, OUT, say)
        for _ in range(4):                     # four citizens at the kiosk before the one who texts
            take(site, kiosk.id, "LAND", False)
        printed = max((OUT / "printer").glob("*.png"), key=lambda p: p.stat().st_mtime, default=None)
        say(f"🖨  Phiếu có dòng \"Nhắn STT … gửi {cfg.followup.sms.modem_number}\": {printed}",
            "   A ticket with its SMS line")
        demo_followup.by_sms(hall.smsd, OUT, keypads["1"], "1", say)
        kiosk_tour(site, kiosk.id)
        mine = c.issue("LAND", source=f"kiosk-{kiosk.id}")["ticket"]
        say(f"📱 Trang của số {mine['label']} trên điện thoại (mã QR trên phiếu) / its phone page (the ticket's QR): "
            f"{cfg.console.public_url}{demo_console.phone_path(mine)}")
        demo_console.tour(console, OUT, demo_console.phone_path(mine), say)
        live_notice(console, cfg, applied)
        time.sleep(1.0)
        with open(OUT / "board.log", "wb") as log:
            subprocess.run([sys.executable, "-m", "display_board", "--config", str(site), "--id", "hall",
                            "--screenshot", str(OUT / "board.png")], env=board_env(), cwd=ROOT,
                           stdout=log, stderr=subprocess.STDOUT, timeout=60)
        say(f"🖥  Bảng gọi số / the wall screen: {OUT / 'board.png'}; "
            f"giọng đọc / voice calls: {OUT / 'voice'}", "")
        wait_if_someone_is_here(say, cfg.console.public_url)
        bus.close()
        time.sleep(0.5)
        c.stop()
    finally:
        hall.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
