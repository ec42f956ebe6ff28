"""A hall with a console: the session's mosquitto, a real hub and a real console process, the
users of ``motcua.testbed_web`` (giamsat, quay1 for counter 1, quay2 for counter 2)."""
from dataclasses import dataclass
from pathlib import Path

import pytest

from motcua import config
from motcua.hubclient import HubClient
from motcua.testbed import HubProcess, site_data, write_site
from motcua.testbed_web import ConsoleProcess, console_section, users


@dataclass
class ConsoleHall:
    tmp: Path
    cfg: config.SiteConfig
    hub: HubProcess
    console: ConsoleProcess
    client: HubClient

    @property
    def base(self) -> str:
        return self.console.base


def followup_section(tmp: Path) -> dict:
    return {"database": str(tmp / "followup.sqlite3"), "letters_dir": str(tmp / "letters"),
            "letter": {"agency": "Trung tâm Phục vụ hành chính công tỉnh", "place": "Quảng Ngãi"},
            "sms": {"transport": "directory", "directory": {"path": str(tmp / "sms")}}}


@pytest.fixture
def hall(tmp_path, broker):
    section = console_section(tmp_path)
    data = site_data(tmp_path, broker.port, console=section, users=users(), followup=followup_section(tmp_path))
    data["services"][0]["name"] = {"vi": "Đất đai <script>alert(1)</script>", "en": "Land <b>x</b>"}
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    client = HubClient(cfg, "test", announce=False).start()
    client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # the hub answers: it is up
    console = ConsoleProcess(cfg.path, tmp_path / "console.log", section["public_url"]).start()
    yield ConsoleHall(tmp_path, cfg, hub, console, client)
    console.stop()
    client.stop()
    hub.stop()
