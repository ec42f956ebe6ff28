"""`make install` for real, into this machine's / (as root, as CI runs it): the hub's, the follow-up's, the
console's and a kiosk's roles, then each process started the way its installed unit says (user, group, supplementary
groups, umask, environment, state folder) and checked as a user would: who owns each secret, who can read what, the
console's login page, a logout, the follow-up reading the hub's dossier store, a change of the site file the hub
writes in its own folder. Each process runs in a mount namespace read-only as its unit's ProtectSystem=strict makes
it, but for its ReadWritePaths= and state folder (systemd itself does not run here).

It leaves the machine as it found it, and stays away from a machine that has motcua installed for real."""
from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from devtools.testbed import ROOT, free_port, wait_for
from devtools.web import WebClient, get, users
from motcua import config
from motcua.hubclient import HubClient

INSTALL = ROOT / "systemd" / "install.sh"
ROLES = ("hub", "console", "followup", "kiosk k1")
SYSTEM_USERS = ("motcua-hub", "motcua-console", "motcua-followup", "motcua-kiosk-k1")
GROUPS = ("motcua", "motcua-sitekey")
MARK = Path("/etc/motcua/.made-by-test_install_real")
PLACES = [Path(p) for p in ("/opt/motcua", "/etc/motcua", "/var/lib/motcua", "/var/lib/motcua-console",
                            "/var/lib/motcua-followup", "/var/lib/motcua-kiosk-k1",
                            "/etc/chrony/conf.d/motcua-hub.conf",
                            "/etc/mosquitto/conf.d/motcua.conf", "/etc/mosquitto/motcua.acl",
                            "/etc/mosquitto/motcua.passwd")]
UNITS = Path("/etc/systemd/system")
SECRETS = Path("/etc/motcua/secrets")
SAMPLE = "/opt/motcua/config/sample-dossiers.csv"
DOSSIER = "000.00.53.H48-250922-0031"          # one of SAMPLE's

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="installs for real: needs root"),
    pytest.mark.skipif(not all(shutil.which(t) for t in ("setpriv", "useradd", "mosquitto", "mosquitto_passwd")),
                       reason="needs setpriv, useradd and mosquitto"),
]


def exists(kind: str, name: str) -> bool:
    try:
        (pwd.getpwnam if kind == "user" else grp.getgrnam)(name)
        return True
    except KeyError:
        return False


def remove_everything(users: list[str], groups: list[str]) -> None:
    for place in PLACES + sorted(UNITS.glob("motcua-*.service")):
        if place.is_dir():
            shutil.rmtree(place)
        else:
            place.unlink(missing_ok=True)
    for user in users:
        if exists("user", user):
            subprocess.run(["userdel", user], check=True)
    for group in groups:
        if exists("group", group):
            subprocess.run(["groupdel", group], check=True)


def install(role: str) -> None:
    """As `make install ROLE=...`, with the packages already there and the processes started by the test."""
    r = subprocess.run(["bash", str(INSTALL), *role.split()], capture_output=True, text=True, timeout=900,
                       env={**os.environ, "MOTCUA_NO_APT": "1", "MOTCUA_NO_START": "1"})
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def installed():
    """The three roles installed once for the module; afterwards only what the test made is removed."""
    if MARK.exists():           # an earlier run of this test stopped before cleaning up
        remove_everything([u for u in SYSTEM_USERS if exists("user", u)], list(GROUPS))
    if Path("/etc/motcua").exists() or Path("/opt/motcua").exists():
        pytest.skip("motcua is installed on this machine for real: not touching it")
    made_users = [u for u in SYSTEM_USERS if not exists("user", u)]
    made_groups = [g for g in GROUPS if not exists("group", g)]
    MARK.parent.mkdir(parents=True, exist_ok=True)
    MARK.touch()
    try:
        for role in ROLES:
            install(role)
        yield
    finally:
        remove_everything(made_users, made_groups)


def owner(path: Path) -> tuple[str, str, int]:
    st = path.stat()
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, st.st_mode & 0o7777


def test_each_secret_is_readable_by_its_own_process_only(installed):
    assert owner(SECRETS) == ("root", "motcua", 0o750)
    assert {p.name: owner(p) for p in SECRETS.iterdir()} == {
        "hub.password": ("motcua-hub", "root", 0o400),
        "followup.password": ("motcua-followup", "root", 0o400),
        "console.password": ("motcua-console", "root", 0o400),
        "console.key": ("motcua-console", "root", 0o400),
        "kiosk-k1.password": ("motcua-kiosk-k1", "root", 0o400),
        "site.key": ("root", "motcua-sitekey", 0o440),      # the kiosks and the follow-up hash with it
        # the example site's other processes live on other boards: their files wait there for copying
        "display-hall.password": ("root", "root", 0o400),
        "bridge-b1.password": ("root", "root", 0o400),
    }
    assert len((SECRETS / "console.key").read_text().strip()) >= 48
    assert len((SECRETS / "site.key").read_text().strip()) >= 48
    assert set(grp.getgrnam("motcua-sitekey").gr_mem) == {"motcua-kiosk-k1", "motcua-followup"}
    assert owner(Path("/var/lib/motcua")) == ("root", "motcua", 0o2770), "shared by the group, setgid"
    assert Path("/etc/motcua/motcua.yaml").readlink() == Path("site/motcua.yaml")
    assert owner(Path("/etc/motcua/site")) == ("motcua-hub", "motcua", 0o2750), "the hub's folder, read by the group"
    assert owner(Path("/etc/motcua/site/motcua.yaml")) == ("motcua-hub", "motcua", 0o640)
    assert owner(Path("/etc/motcua")) == ("root", "root", 0o755)
    for f in ("motcua.acl", "motcua.passwd"):
        assert owner(Path("/etc/mosquitto") / f) == ("root", "mosquitto", 0o640), "mosquitto reads it as itself"
    for user in SYSTEM_USERS:
        entry = pwd.getpwnam(user)
        assert grp.getgrgid(entry.pw_gid).gr_name == "motcua" and entry.pw_shell == "/usr/sbin/nologin"


def test_the_sites_key_is_read_by_the_processes_that_hash_citizens_numbers_only(installed):
    """SPEC 3.1: the kiosk hashes the ID number, the follow-up the phone; the hub compares hashes it is given, the
    console shows none: neither reads the key."""
    key = SECRETS / "site.key"
    followup = Unit("motcua-followup.service").run("cat", str(key))
    assert followup.returncode == 0 and followup.stdout == key.read_text(), followup.stderr
    kiosk = subprocess.run(["setpriv", "--reuid=motcua-kiosk-k1", "--regid=motcua", "--init-groups", "cat", str(key)],
                           capture_output=True, text=True, timeout=30)
    assert kiosk.returncode == 0 and kiosk.stdout == key.read_text(), kiosk.stderr
    for unit in ("motcua-console.service", "motcua-hub.service"):
        other = Unit(unit).run("cat", str(key))
        assert other.returncode != 0 and "Permission denied" in other.stderr, unit


def state_of_the_install() -> dict[str, tuple]:
    files = [*SECRETS.iterdir(), Path("/etc/motcua/motcua.yaml"), *sorted(UNITS.glob("motcua-*.service")),
             *(Path("/etc/mosquitto") / f for f in ("motcua.acl", "motcua.passwd", "conf.d/motcua.conf"))]
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), *owner(p), p.stat().st_mtime_ns) for p in files} | {
        d: owner(Path(d)) for d in ("/etc/motcua", "/etc/motcua/site", "/etc/motcua/secrets", "/var/lib/motcua")}


def test_a_second_run_changes_nothing(installed):
    before = state_of_the_install()
    for role in ROLES:
        install(role)
    assert state_of_the_install() == before, "no password rewritten, no file touched"


@dataclass
class Unit:
    """An installed unit's [Service] settings, and its process started as systemd would start it (without
    the sandbox): the user, group, groups, umask, environment and state folder the unit names, in /."""
    name: str
    keys: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        section = ""
        for line in (UNITS / self.name).read_text().splitlines():
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                self.keys.setdefault(key, []).append(value)

    def one(self, key: str, default: str = "") -> str:
        return self.keys.get(key, [default])[-1]

    def command(self, *more: str) -> list[str]:
        """Its ExecStart with more arguments: the same program, as an administrator runs it by hand."""
        return [*shlex.split(self.one("ExecStart")), *more]

    def sandbox(self) -> list[str]:
        """ProtectSystem=strict as a mount namespace: the system read-only, but for the unit's ReadWritePaths= (those
        that exist: a leading - lets one be missing) and its state folder."""
        assert self.one("ProtectSystem") == "strict", self.name
        rw = [p.lstrip("-") for line in self.keys.get("ReadWritePaths", []) for p in line.split()]
        rw += [f"/var/lib/{s}" for s in self.one("StateDirectory").split()]
        steps = [f"mount --rbind {d} {d} && mount -o remount,bind,ro {d}" for d in ("/etc", "/opt", "/usr", "/var")]
        steps += [f"mount --bind {p} {p} && mount -o remount,bind,rw {p}" for p in rw if Path(p).exists()]
        return ["unshare", "--mount", "--propagation", "private", "sh", "-ec", "; ".join(steps) + '; exec "$@"', "-"]

    def argv(self, *command: str) -> list[str]:
        """As systemd starts it: its user's own groups (initgroups), then the unit's SupplementaryGroups=."""
        user = pwd.getpwnam(self.one("User"))
        groups = [grp.getgrgid(g).gr_name for g in os.getgrouplist(user.pw_name, user.pw_gid)]
        groups += self.one("SupplementaryGroups").split()
        return [*self.sandbox(), "setpriv", f"--reuid={self.one('User')}", f"--regid={self.one('Group')}",
                f"--groups={','.join(groups)}", "--",
                *(command or shlex.split(self.one("ExecStart")))]

    def env(self) -> dict[str, str]:
        user = self.one("User")
        e = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "USER": user, "LOGNAME": user, "HOME": pwd.getpwnam(user).pw_dir}
        e.update(v.split("=", 1) for v in self.keys.get("Environment", []))
        state = self.one("StateDirectory")
        if state:
            folder = Path("/var/lib") / state
            folder.mkdir(exist_ok=True)
            shutil.chown(folder, user, self.one("Group"))
            folder.chmod(int(self.one("StateDirectoryMode", "0755"), 8))
            e["STATE_DIRECTORY"] = str(folder)
        return e

    def _umask(self) -> None:
        os.umask(int(self.one("UMask", "0022"), 8))

    def run(self, *command: str) -> subprocess.CompletedProcess:
        env = self.env()        # first: it makes the state folder the sandbox opens
        return subprocess.run(self.argv(*command), env=env, preexec_fn=self._umask, cwd="/",
                              capture_output=True, text=True, timeout=120)

    def start(self, log: Path) -> subprocess.Popen:
        env = self.env()
        return subprocess.Popen(self.argv(), env=env, preexec_fn=self._umask, cwd="/", stdout=open(log, "ab"),
                                stderr=subprocess.STDOUT)


@pytest.fixture
def hall(installed, tmp_path, monkeypatch):
    """The installed site file edited as its supervisor would (the broker's port, the console's address,
    a user), then the broker on the installed passwords and ACL, and the hub as its unit runs it."""
    site = Path("/etc/motcua/motcua.yaml")
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    port, web_port = free_port(), free_port()
    data["mqtt"]["port"] = port
    data["console"].update(listen=f"127.0.0.1:{web_port}", public_url=f"http://127.0.0.1:{web_port}")
    data["users"] = users()
    site.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    conf = tmp_path / "mosquitto.conf"      # the installed files; mosquitto drops root before reading them
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\nmax_queued_messages 0\n"
                    "user mosquitto\npassword_file /etc/mosquitto/motcua.passwd\nacl_file /etc/mosquitto/motcua.acl\n")
    procs = [subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=open(tmp_path / "broker.log", "ab"),
                              stderr=subprocess.STDOUT)]
    procs.append(Unit("motcua-hub.service").start(tmp_path / "hub.log"))
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", "kiosk-k1")
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", str(SECRETS / "kiosk-k1.password"))
    kiosk = HubClient(config.load(site), "kiosk-k1").start()
    try:
        answer = kiosk.request(kiosk.t.issue, {"service": "NOPE"}, timeout=0.3, tries=100)
        assert answer["error"]["code"], "the hub, logged in with its own password, answers a kiosk"
        yield procs, tmp_path
    finally:
        kiosk.stop()
        for p in reversed(procs):
            p.terminate()
            p.wait(10)


def test_the_hub_and_the_follow_up_share_the_dossier_store_as_their_own_users(hall):
    """The follow-up reads the hub's dossier store while the hub runs, and alone while it is stopped (the
    reader then makes the -wal and -shm files itself): the hub must still write it afterwards."""
    procs, tmp = hall
    hub, followup = Unit("motcua-hub.service"), Unit("motcua-followup.service")
    imported = hub.run(*hub.command("--import-dossiers", SAMPLE))
    assert imported.returncode == 0, imported.stderr
    r = followup.run(*followup.command("--letter", DOSSIER))
    assert r.returncode == 0, r.stderr
    letter = Path(r.stdout.strip().splitlines()[-1])
    assert letter.read_bytes().startswith(b"%PDF") and owner(letter)[:2] == ("motcua-followup", "motcua")
    procs[1].terminate()
    procs[1].wait(10)
    assert followup.run(*followup.command("--letter", DOSSIER)).returncode == 0, "read with the hub stopped"
    again = hub.run(*hub.command("--import-dossiers", SAMPLE))
    assert again.returncode == 0, f"the hub writes after the follow-up read alone: {again.stderr[-800:]}"
    for db in Path("/var/lib/motcua").glob("*.sqlite3*"):
        assert owner(db)[1:] == ("motcua", 0o660), f"{db}: the group reads and writes it"


def test_the_console_runs_as_its_user_and_writes_nothing_in_the_secrets(hall):
    procs, tmp = hall
    console = Unit("motcua-console.service")
    secrets_before = {p.name: owner(p) for p in SECRETS.iterdir()}
    procs.append(console.start(tmp / "console.log"))
    base = f"http://{yaml.safe_load(Path('/etc/motcua/motcua.yaml').read_text())['console']['listen']}"

    def answers() -> bool:
        try:
            return get(base, "/login")[0] == 200
        except OSError:
            return False
    wait_for(answers, 30, f"the console's login page at {base} (log: {tmp / 'console.log'})")
    web = WebClient(base)
    assert web.login("giamsat") == 303
    assert web.get("/figures")[0] == 200, "it reads the hub's ledger"
    assert web.get("/dossiers")[0] == 200, "it reads the hub's dossier store"
    stolen = dict(web.cookies)
    assert web.post("/logout", {"csrf": web.csrf("/hall")})[0] == 303
    thief = WebClient(base)
    thief.cookies = stolen
    assert thief.get("/hall")[0] == 303, "logged out: the cookie opens nothing"
    assert (Path("/var/lib") / console.one("StateDirectory") / "console-logouts").exists(), \
        "the logout is kept, in its own folder"
    assert {p.name: owner(p) for p in SECRETS.iterdir()} == secrets_before, "nothing made or changed in secrets/"
    own = console.run("cat", str(SECRETS / "console.password"))
    assert own.returncode == 0 and own.stdout.strip(), "its own password"
    other = console.run("cat", str(SECRETS / "hub.password"))
    assert other.returncode != 0 and "Permission denied" in other.stderr, "not the hub's"
    assert console.run("cat", "/etc/mosquitto/motcua.passwd").returncode != 0, "nor the broker's hashes"


def test_a_change_of_the_site_file_is_written_by_the_hub_in_its_own_folder(hall, monkeypatch):
    """SPEC 2.1 installed: the hub, its /etc read-only but for /etc/motcua/site, rewrites the site file and keeps its
    versions there; the console keeps the hub's document in its own state folder; the secrets stay as they were."""
    procs, tmp = hall
    secrets_before = {p.name: owner(p) for p in SECRETS.iterdir()}
    kept = Path("/var/lib/motcua-console/motcua.yaml.from-hub.yaml")
    kept.unlink(missing_ok=True)            # an earlier test's console kept an earlier version
    procs.append(Unit("motcua-console.service").start(tmp / "console.log"))
    wait_for(lambda: kept.exists(), 30, f"the console's copy of the hub's document (log: {tmp / 'console.log'})")
    base = yaml.safe_load(kept.read_text(encoding="utf-8"))["version"]     # each edit by the fixture is a version
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", "console")
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", str(SECRETS / "console.password"))
    cfg = config.load("/etc/motcua/motcua.yaml")
    console = HubClient(cfg, "console").start()
    try:
        body = {"base_version": base, "by": "giamsat", "command_id": "install-real",
                "changes": [{"path": "services[0].daily_limit", "value": 41}]}
        reply = console.request(console.t.config_set, body, timeout=5)
        topic = console.t.config_status("hub")
    finally:
        console.stop()
    assert reply.get("ok") and reply["config"]["version"] == base + 1, f"{reply} (log: {tmp / 'hub.log'})"
    site = Path("/etc/motcua/site/motcua.yaml")
    assert yaml.safe_load(site.read_text(encoding="utf-8"))["services"][0]["daily_limit"] == 41
    assert Path("/etc/motcua/motcua.yaml").is_symlink(), "the link stays; the file behind it is the new one"
    assert owner(site) == ("motcua-hub", "motcua", 0o640), "as installed: the group reads it, nobody else"
    assert (Path("/etc/motcua/site/motcua.yaml.history") / f"v{base + 1}.yaml").exists(), "the versions beside it"
    status = subprocess.run(["mosquitto_sub", "-p", str(cfg.mqtt.port), "-u", "console", "-P",
                             (SECRETS / "console.password").read_text().strip(), "-t", topic, "-C", "1", "-W", "10"],
                            capture_output=True, text=True, timeout=20)
    assert json.loads(status.stdout or "{}") == {"version": base + 1, "applied": True, "restart_needed": False,
                                                 "problems": []}, status
    wait_for(lambda: yaml.safe_load(kept.read_text(encoding="utf-8"))["version"] == base + 1, 15,
             "the console keeps the new version in its own folder")
    assert owner(kept)[0] == "motcua-console"
    assert {p.name: owner(p) for p in SECRETS.iterdir()} == secrets_before, "nothing made or changed in secrets/"
