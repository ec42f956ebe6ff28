"""``make demo PROVINCE=1``: a province of two halls on one machine (SPEC section 13) — the
province's mosquitto over TLS, two halls each with its own mosquitto bridged to it and its own hub,
a morning of tickets and calls in both, and the province's console showing them side by side;
then one hall's link cut, so the view marks it. Screenshots in ``demo-out/province/``."""
from __future__ import annotations

import time
from pathlib import Path

from ..testbed import free_port, site_data
from .console import LOGINS, lan_address

HALLS = {"phuong-nghia-lo": "Bộ phận một cửa phường Nghĩa Lộ", "xa-binh-son": "Bộ phận một cửa xã Bình Sơn"}


def run(out: Path, say, wait) -> None:
    from motcua.console.auth import hash_password

    from ..province import ProvinceRig
    users = [{"name": "giamsat", "role": "supervisor", "password_hash": hash_password(LOGINS["giamsat"][0])}]

    def hall(d: Path) -> dict:
        data = site_data(d)
        for s in data["services"]:
            s["hours"] = ["00:00-23:59"]
        return data
    rig = ProvinceRig(out / "province", tuple(HALLS), users, console_port=free_port(), hall_data=hall)
    say("Khởi động một tỉnh: mosquitto của tỉnh (TLS), hai bộ phận một cửa, mỗi nơi mosquitto + hub riêng",
        "   Starting a province: its broker (TLS), two halls, each with its own broker and hub")
    rig.start()
    try:
        base = rig.console.base
        port = rig.cfg.console.host_port[1]
        say(f"🌐 Toàn tỉnh / the province's console: {base}/province  (LAN: http://{lan_address()}:{port})",
            f"   đăng nhập / login: giamsat / {LOGINS['giamsat'][0]}")
        for n, (site, name) in enumerate(HALLS.items()):
            c = rig.halls[site].client
            for i in range(5 + 3 * n):
                c.issue(("LAND", "JUST")[i % 2])
            for counter in ("1", "2", "3")[:2 + n]:
                r = c.command(counter, "next")
                say(f"📢 {name}: số {r['state']['ticket']} mời đến quầy {counter}",
                    f"   {site}: {r['state']['ticket']} to counter {counter}")
        time.sleep(1.5)
        shots = out / "province"
        _shot(base, shots / "province.png")
        rig.halls["xa-binh-son"].broker.stop()
        say("✂  Đường truyền của xã Bình Sơn bị cắt: bộ phận vẫn làm việc, tỉnh đánh dấu mất kết nối",
            "   xa-binh-son's link cut: the hall goes on, the province marks it")
        time.sleep(3)
        _shot(base, shots / "province-link-down.png")
        say(f"📸 Ảnh / screenshots: {shots}")
        wait()
    finally:
        rig.stop()


def _shot(base: str, path: Path) -> None:
    from ..web import PASSWORDS, chromium, login
    PASSWORDS["giamsat"] = LOGINS["giamsat"][0]
    try:
        driver = chromium(1366, 900)
    except Exception:        # no Chromium: the province still runs
        return
    try:
        login(driver, base, "giamsat", "/province")
        time.sleep(0.8)
        driver.save_screenshot(str(path))
    finally:
        driver.quit()
