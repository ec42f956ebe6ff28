"""A hall with a console: the session's mosquitto, a real hub and a real console process, the
users of ``devtools.web`` (giamsat, quay1 for counter 1, quay2 for counter 2)."""
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.testbed import BridgeProcess, HubProcess, PtyPair, site_data, write_site
from devtools.web import ConsoleProcess, console_section, users
from motcua import config
from motcua.hubclient import HubClient


@dataclass
class ConsoleHall:
    tmp: Path
    cfg: config.SiteConfig
    hub: HubProcess
    console: ConsoleProcess
    client: HubClient
    line: PtyPair | None = None

    @property
    def base(self) -> str:
        return self.console.base


def followup_section(tmp: Path) -> dict:
    return {"database": str(tmp / "followup.sqlite3"), "letters_dir": str(tmp / "letters"),
            "letter": {"agency": "Trung tâm Phục vụ hành chính công tỉnh", "place": "Quảng Ngãi"},
            "sms": {"transport": "directory", "directory": {"path": str(tmp / "sms")}}}


def start_hall(tmp_path, broker, bridge: bool = False, console_env: dict | None = None):
    section = console_section(tmp_path)
    data = site_data(tmp_path, broker.port, console=section, users=users(), followup=followup_section(tmp_path))
    data["services"][0]["name"] = {"vi": "Đất đai <script>alert(1)</script>", "en": "Land <b>x</b>"}
    data["kiosks"] = [{"id": "k1", "printer": {"connection": "directory", "path": str(tmp_path / "tickets")}}]
    extra = []
    if bridge:                      # a hardware keypad (address 5) on counter 1, beside its panel
        line = PtyPair(tmp_path, "kp").start()
        data["bridges"] = [{"id": "b1", "ports": [{"device": str(line.a), "keypads": {5: "1"}}]}]
        extra.append(line)
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    client = HubClient(cfg, "test", announce=False).start()
    client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # the hub answers: it is up
    if bridge:
        extra.insert(0, BridgeProcess(cfg.path, tmp_path / "bridge.log").start())
    console = ConsoleProcess(cfg.path, tmp_path / "console.log", section["public_url"], console_env).start()
    h = ConsoleHall(tmp_path, cfg, hub, console, client, extra[-1] if bridge else None)
    return h, extra


def stop_hall(h: ConsoleHall, extra: list) -> None:
    h.console.stop()
    h.client.stop()
    for part in extra:
        part.stop()
    h.hub.stop()


@pytest.fixture
def hall(tmp_path, broker):
    h, extra = start_hall(tmp_path, broker)
    yield h
    stop_hall(h, extra)


@pytest.fixture
def settings_hall(tmp_path, broker):
    """A hall whose console is the broker user ``console``, as systemd starts it: the one user the hub takes
    ``config/set`` from (SPEC 2.1), for the settings pages."""
    h, extra = start_hall(tmp_path, broker, console_env={"MOTCUA_MQTT_USERNAME": "console"})
    yield h
    stop_hall(h, extra)


@pytest.fixture
def keypad_hall(tmp_path, broker):
    h, extra = start_hall(tmp_path, broker, bridge=True)
    yield h
    stop_hall(h, extra)


@pytest.fixture
def browser(tmp_path):
    """A real headless Chromium at an office screen's size, downloads into tmp_path/downloads."""
    from devtools.web import chromium
    (tmp_path / "downloads").mkdir()
    driver = chromium(downloads=tmp_path / "downloads")
    yield driver
    driver.quit()
