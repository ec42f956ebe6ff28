"""The demo's console: its section of the site file with the demo logins, the process, and a tour
of its pages in headless Chromium whose screenshots land in ``demo-out/console`` (the README's
pictures come from here)."""
from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from ..testbed import env, free_port, wait_for

LOGINS = {"giamsat": ("mk-giam-sat-1", "supervisor", []), "quay12": ("mk-quay-12", "clerk", ["12"]),
          "quay1": ("mk-quay-mot-1", "clerk", ["1"])}
PAGES = [("login", "/login", None), ("hall", "/hall", "giamsat"), ("figures", "/figures", "giamsat"),
         ("dossiers", "/dossiers?from={year}-01-01&to={year}-12-31", "giamsat"), ("followup", "/followup", "giamsat"),
         ("counter", "/counter/12", "quay12"), ("settings", "/settings/services", "giamsat")]


def lan_address() -> str:
    """This machine's address on the LAN, for a phone to reach (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def section(out: Path) -> tuple[dict, list[dict]]:
    """(console section, users) for the demo: every address of the machine, port 8080 if free."""
    from motcua.console.auth import hash_password
    port = 8080 if _free(8080) else free_port()
    console = {"listen": f"0.0.0.0:{port}", "public_url": f"http://{lan_address()}:{port}",
               "secret_file": str(out / "console.key")}
    users = [{"name": n, "role": r, "counters": c, "password_hash": hash_password(pw)}
             for n, (pw, r, c) in LOGINS.items()]
    return console, users


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def start(spawn, site: Path, cfg, say) -> str:
    """Start the console; say where it is and who may log in. Returns the local address."""
    # as systemd starts it: the broker user the hub takes config/set from (the settings pages)
    spawn("console", [sys.executable, "-m", "motcua.console", "--config", str(site)],
          env={**env(), "MOTCUA_MQTT_USERNAME": "console"})
    port = cfg.console.host_port[1]
    local = f"http://127.0.0.1:{port}"
    from ..web import ConsoleProcess
    wait_for(ConsoleProcess(site, Path("/dev/null"), local).answers, 20, "the console")
    say(f"🌐 Bảng điều khiển / web console: {cfg.console.public_url}  (trên máy này / here: {local})")
    for name, (pw, _, counters) in LOGINS.items():
        where = f"quầy {counters[0]}" + (" (không có bàn phím / no keypad)" if counters == ["12"] else "") \
            if counters else "giám sát / supervisor"
        say(f"   đăng nhập / login: {name} / {pw} — {where}")
    return local


def phone_path(ticket: dict) -> str:
    """The ticket's phone page, as its QR holds it after ``console.public_url``."""
    return f"/t/{ticket['id'].split('-')[0]}/{ticket['label']}"


def tour(base: str, out: Path, phone_path: str | None, say) -> None:
    """Each page as its user sees it, at an office screen's size; the phone page at a phone's."""
    from ..web import PASSWORDS, chromium, login
    PASSWORDS.update({n: pw for n, (pw, _, _) in LOGINS.items()})
    shots = out / "console"
    shots.mkdir(exist_ok=True)
    try:
        driver = chromium(1366, 768)
    except Exception as e:        # no Chromium on this machine: the console still runs
        say(f"   (không chụp được trang / no screenshots: {e.__class__.__name__})")
        return
    try:
        who = None
        for name, path, user in PAGES:
            if user != who and user is not None:
                if who is not None:
                    driver.delete_all_cookies()
                login(driver, base, user)
                who = user
            driver.get(base + path.format(year=time.strftime("%Y")))
            time.sleep(0.6)
            _full_page(driver, shots / f"{name}.png")
    finally:
        driver.quit()
    if phone_path:
        phone = chromium(390, 760, mobile=True)
        try:
            phone.get(base + phone_path)
            time.sleep(0.6)
            phone.save_screenshot(str(shots / "phone.png"))
        finally:
            phone.quit()
    say(f"📸 Ảnh các trang / screenshots of the pages: {shots}")


def change_notice(base: str, out: Path, notice: str, say) -> tuple[int, float] | None:
    """The supervisor, in Chromium, changes the wall screen's notice on its settings page and saves: the version the
    hub made of it and when Save was pressed (``time.monotonic``); None without Chromium or when the hub refused it.
    Screenshots: the notice typed, then saved."""
    from selenium.webdriver.common.by import By

    from ..web import chromium, login, wait_text
    shots = out / "console"
    try:
        driver = chromium(1366, 768)
    except Exception as e:        # no Chromium on this machine: the hall goes on
        say(f"   (không đổi được thông báo / cannot change the notice: {e.__class__.__name__})")
        return None
    try:
        login(driver, base, "giamsat", "/settings/displays")
        box = driver.find_element(By.NAME, "displays[0].notice")
        before = box.get_attribute("value")
        box.clear()
        box.send_keys(notice)
        _full_page(driver, shots / "settings-notice-typed.png")
        clicked = time.monotonic()
        driver.find_element(By.CSS_SELECTOR, "#settings-form button.big").click()
        saved = wait_text(driver, "#message", lambda t: "Đã lưu" in t or "Chưa lưu" in t, 10, "the hub's answer")
        _full_page(driver, shots / "settings-notice-saved.png")
        url = driver.current_url
    finally:
        driver.quit()
    say(f"🛠  Giám sát đổi dòng thông báo của bảng gọi số trên trang cài đặt: {saved}",
        f"   The supervisor changed the wall screen's notice on its settings page\n"
        f"   trước / before: {before}\n   sau / after:    {notice}")
    version = parse_qs(urlparse(url).query).get("saved", [""])[0]
    return (int(version), clicked) if version.isdigit() else None


def _full_page(driver, path: Path) -> None:
    """The whole page, as tall as it is, at the window's width."""
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 768)")
    driver.set_window_size(1366, min(int(height) + 100, 4000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1366, 768)

