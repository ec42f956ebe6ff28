"""A province of real halls on one machine (SPEC section 13), for the tests, the benchmark and
``make demo PROVINCE=1``: the province's mosquitto over TLS with a password and an ACL per hall
(and persistence, as a data centre's broker has), each hall its own mosquitto bridged to it with
the generated section and its own hub, and the province's console."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from motcua import config
from motcua.hubclient import HubClient
from motcua.mosquitto_bridge import bridge_section

from .testbed import Broker, HubProcess, free_port, site_data, tls_certificates, write_site
from .web import ConsoleProcess, console_section


@dataclass
class RealHall:
    cfg: config.SiteConfig
    broker: Broker
    hub: HubProcess
    client: HubClient

    def stop(self) -> None:
        self.client.stop()
        self.hub.stop()
        self.broker.stop()


class ProvinceRig:
    def __init__(self, tmp: Path, sites: tuple[str, ...], users: list[dict], console_port: int | None = None,
                 hall_data=None):
        self.tmp, self.sites, self.users, self.console_port = Path(tmp), sites, users, console_port
        self.hall_data = hall_data or (lambda d: site_data(d))
        self.halls: dict[str, RealHall] = {}
        self.tmp.mkdir(parents=True, exist_ok=True)

    def start(self) -> ProvinceRig:
        self.ca, cert, key = tls_certificates(self.tmp)
        self.tls_port = free_port()
        self.broker = Broker(self.tmp / "province", extra=self._province_conf(cert, key)).start()
        for site in self.sites:
            self.halls[site] = self._hall(site)
        self.console = self._console()
        return self

    def _province_conf(self, cert: Path, key: Path) -> str:
        pw = self.tmp / "province.passwd"
        subprocess.run(["mosquitto_passwd", "-c", "-b", str(pw), "province", "province-pw"], check=True)
        acl = "user province\ntopic read motcua/#\n\n"
        for site in self.sites:           # each hall publishes under its own site only
            subprocess.run(["mosquitto_passwd", "-b", str(pw), f"u-{site}", f"{site}-pw"], check=True)
            acl += f"user u-{site}\ntopic write motcua/{site}/#\n\n"
            (self.tmp / f"{site}.pw").write_text(f"{site}-pw\n")
        (self.tmp / "province.acl").write_text(acl)
        (self.tmp / "province.pw").write_text("province-pw\n")
        (self.tmp / "pdata").mkdir(exist_ok=True)
        return (f"allow_anonymous false\npassword_file {pw}\nacl_file {self.tmp / 'province.acl'}\n"
                f"persistence true\npersistence_location {self.tmp / 'pdata'}/\nautosave_interval 1\n"
                f"listener {self.tls_port} 127.0.0.1\ncafile {self.ca}\ncertfile {cert}\nkeyfile {key}\n")

    def _hall(self, site: str) -> RealHall:
        d = self.tmp / site
        d.mkdir(exist_ok=True)
        data = self.hall_data(d)
        data["site"]["id"] = site
        data["mqtt"]["bridge"] = {"host": "127.0.0.1", "port": self.tls_port, "ca_file": str(self.ca),
                                  "username": f"u-{site}", "password_file": str(self.tmp / f"{site}.pw")}
        section = bridge_section(config.load(write_site(d, data)))
        broker = Broker(d / "broker", extra="allow_anonymous true\n" + section).start()
        data["mqtt"]["port"] = broker.port
        cfg = config.load(write_site(d, data))
        hub = HubProcess(cfg.path, d / "hub.log").start()
        client = HubClient(cfg, "tester", announce=False).start()
        client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # the hub answers
        return RealHall(cfg, broker, hub, client)

    def _console(self) -> ConsoleProcess:
        p = self.tmp / "tinh"
        p.mkdir(exist_ok=True)
        broker = {"host": "127.0.0.1", "port": self.tls_port, "ca_file": str(self.ca), "username": "province",
                  "password_file": str(self.tmp / "province.pw")}
        section = console_section(p, self.console_port, province={"broker": broker, "sites": list(self.sites)})
        data = site_data(p, 1, console=section, users=self.users)
        data["site"].update(id="tinh", name="Trung tâm Phục vụ hành chính công tỉnh")
        self.cfg = config.load(write_site(p, data))
        return ConsoleProcess(self.cfg.path, p / "console.log", f"http://127.0.0.1:{self.cfg.console.host_port[1]}"
                              ).start()

    def stop(self) -> None:
        self.console.stop()
        for h in self.halls.values():
            h.stop()
        self.broker.stop()
