"""``motcua-setup.yaml``: what a board is, written by a clerk on the card's boot partition.

Read with the site file's own schema tools (every problem at once, with its line, unknown keys
refused with the closest name), then checked against the site file it names: a role whose id the
site lacks, a hub address that cannot be one, a password that cannot be used are all found before
anything on the board changes. Every message is Vietnamese first, then English: the clerk reads
them on the board's screen.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import acl
from ..config import ConfigError, SiteConfig, load
from ..config.common import ID_COUNTER
from ..config.schema import (
    Ctx,
    Dict,
    Int,
    List,
    Map,
    Secret,
    SecretText,
    Str,
    Text,
    dotted,
    line_of,
    load_yaml_with_lines,
    suggest,
)

SETUP_NAME = "motcua-setup.yaml"
ROLE_KINDS = ("hub", "followup", "console", "kiosk", "display", "bridge")
SCREEN_KINDS = ("kiosk", "display", "bridge")      # the roles that name their entry in the site file
SITE_SECTIONS = {"kiosk": "kiosks", "display": "displays", "bridge": "bridges"}
ON_THE_HUBS_BOARD = ("followup", "console")        # they read the hub's databases from its disk
HOSTNAME = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
BOOT_FILE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"     # a file beside the setup file, never a path elsewhere
PASSWORD = r"[\x21-\x7e]{16,128}"                   # printable ASCII without spaces: any shell or file keeps it
SITE_KEY = r"[\x21-\x7e]{32,128}"                   # as the hub's board keeps it (motcua.personal.MIN_SECRET_CHARS)
SECRET_KEYS = ("passwords", "site_key")            # erased from the card once the board keeps them


@dataclass(frozen=True)
class Role:
    """One process this board runs: its kind (hub, kiosk, display, bridge, followup, console) and, for the kinds that
    have several, the id of its entry in the site file. It names the broker user and the systemd unit."""
    kind: str
    ident: str | None = None

    @property
    def broker_user(self) -> str:
        return f"{self.kind}-{self.ident}" if self.ident else self.kind

    @property
    def unit(self) -> str:
        return f"motcua-{self.kind}@{self.ident}.service" if self.ident else f"motcua-{self.kind}.service"

    def __str__(self) -> str:
        return f"{self.kind} {self.ident}" if self.ident else self.kind


@dataclass(frozen=True)
class Setup:
    """motcua-setup.yaml once read and checked: what the board runs, where its site file and hub are, its network, and
    the broker passwords and the site's key it must store (kept as ``SecretText`` so they never show in a log)."""
    roles: tuple[Role, ...]
    site_file: str
    hub_address: str | None = None
    hostname: str | None = None
    address: str | None = None
    gateway: str | None = None
    passwords: dict[str, SecretText] = field(default_factory=dict)
    site_key: SecretText | None = None
    screen_rotation: int | None = None
    tls: dict | None = None

    @property
    def is_hub(self) -> bool:
        return any(r.kind == "hub" for r in self.roles)

    def kinds(self) -> set[str]:
        return {r.kind for r in self.roles}


class SetupError(Exception):
    """The file cannot be used; ``lines`` are what the clerk reads, one problem each."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def parse_role(text: str) -> Role | Text:
    """``hub`` or ``kiosk k1``: the role, or what is wrong with it (Vietnamese, then English)."""
    words = str(text).split()
    if not words:
        return "vai trò trống", "an empty role"
    kind, ident = words[0].lower(), words[1:]
    if kind not in ROLE_KINDS:
        (vi, en), roles = suggest(kind, ROLE_KINDS), ", ".join(ROLE_KINDS)
        return f"vai trò lạ {words[0]!r}{vi}; các vai trò: {roles}", f"unknown role {words[0]!r}{en}; roles: {roles}"
    if kind in SCREEN_KINDS:
        if len(ident) != 1 or not re.fullmatch(ID_COUNTER, ident[0]):
            example = f"'{kind} {'k1' if kind == 'kiosk' else 'hall' if kind == 'display' else 'b1'}'"
            return (f"{kind!r} cần mã của nó trong tệp cấu hình, ví dụ {example}",
                    f"{kind!r} needs its id from the site file, e.g. {example}")
        return Role(kind, ident[0])
    if ident:
        return f"{kind!r} không có mã", f"{kind!r} takes no id"
    return Role(kind)


def _site_key_check(text: str) -> Text | None:
    if not re.fullmatch(SITE_KEY, text):
        return ("khóa cần 32-128 ký tự không dấu, không khoảng trắng, như tệp site.key trên bo mạch hub",
                "the key needs 32-128 characters without accents or spaces, as site.key on the hub's board")
    return None


def _role_check(text: str) -> Text | None:
    out = parse_role(text)
    return None if isinstance(out, Role) else out


def _host_check(text: str) -> Text | None:
    """An IP address or a DNS name; a loopback address is checked against the roles later."""
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if re.fullmatch(r"[\d.]+", text) or not all(re.fullmatch(HOSTNAME, p) for p in text.split(".")):
        return f"{text!r} không phải địa chỉ IP hay tên máy", f"{text!r} is neither an IP address nor a host name"
    return None


def _interface_check(text: str) -> Text | None:
    try:
        iface = ipaddress.ip_interface(text)
    except ValueError:
        iface = None
    if iface is None or "/" not in text or iface.network.num_addresses < 4:
        return f"{text!r}: cần dạng 192.168.1.10/24", f"{text!r}: write it as 192.168.1.10/24"
    return None


def _ip_check(text: str) -> Text | None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"{text!r} không phải địa chỉ IP", f"{text!r} is not an IP address"
    return None


def _password_check(text: str) -> Text | None:
    if not re.fullmatch(PASSWORD, text):
        return ("mật khẩu cần 16-128 ký tự không dấu, không khoảng trắng",
                "a password needs 16-128 characters without accents or spaces")
    return None


SCHEMA = Map({
    "roles": List(Str(max_len=40, check=_role_check), min_len=1, max_len=20),
    "site_file": Str(pattern=BOOT_FILE),
    "hub_address": Str(max_len=253, check=_host_check, optional=True),
    "hostname": Str(pattern=HOSTNAME, optional=True),
    "address": Str(max_len=60, check=_interface_check, optional=True),
    "gateway": Str(max_len=60, check=_ip_check, optional=True),
    "passwords": Dict(Str(pattern=r"[a-z]+(-[a-z0-9-]{1,16})?", max_len=40),
                      Secret(max_len=128, check=_password_check), default={}),
    "site_key": Secret(max_len=128, check=_site_key_check, optional=True),
    "screen_rotation": Int(min=0, max=270, optional=True,
                           check=lambda v: None if v % 90 == 0 else ("chỉ 0, 90, 180 hoặc 270", "0, 90, 180 or 270")),
    "tls": Map({"ca_file": Str(pattern=BOOT_FILE), "cert_file": Str(pattern=BOOT_FILE, optional=True),
                "key_file": Str(pattern=BOOT_FILE, optional=True)}, optional=True),
})

@dataclass
class _Problems:
    """Problems of the setup file by key path, and the site file's own lines."""

    name: str
    lines: dict
    out: list[str] = field(default_factory=list)

    def add(self, path: tuple, message: str) -> None:
        """``message`` says it in Vietnamese, then in English, as the schema's own problems do."""
        self.out.append(f"{self.name}:{line_of(tuple(path), self.lines)}: {dotted(tuple(path))}: {message}")


def read(boot_dir: Path, on_board=lambda path: False) -> tuple[Setup, SiteConfig]:
    """The setup file in ``boot_dir`` and the site file it names, both valid, or ``SetupError``.

    ``on_board(path)`` says whether the board already keeps that file (a broker user's password, the site's
    key: set up before, the file's copy erased since): it then needs none in the setup file."""
    path = boot_dir / SETUP_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SetupError([f"{SETUP_NAME}:1: không đọc được tệp / cannot read the file: {e}"]) from None
    return parse(text, boot_dir, on_board)


def parse(text: str, boot_dir: Path, on_board=lambda path: False) -> tuple[Setup, SiteConfig]:
    """``read`` without the file: the text of a setup file whose neighbours are in ``boot_dir``."""
    try:
        data, lines = load_yaml_with_lines(text)
    except Exception as e:  # yaml.YAMLError: a syntax error has its own mark
        mark = getattr(e, "problem_mark", None)
        raise SetupError([f"{SETUP_NAME}:{mark.line + 1 if mark else 1}: "
                          f"không đọc được YAML / not valid YAML: {e}"]) from None
    if data is None:
        raise SetupError([f"{SETUP_NAME}:1: tệp chưa có nội dung: ghi vai trò (roles) và tệp cấu hình (site_file) "
                          f"/ the file says nothing yet: write its roles and site_file (docs/image.md)"])
    problems = _Problems(SETUP_NAME, lines)
    ctx = Ctx()
    raw = SCHEMA.validate(data, (), ctx)
    for p in ctx.problems:
        problems.add(p.path, p.message)
    if raw is None:
        raise SetupError(problems.out)
    setup = Setup(**{**raw, "roles": tuple(parse_role(r) for r in raw["roles"]),
                     "passwords": dict(raw["passwords"])})
    _check_roles(setup, problems)
    cfg = _site(setup, boot_dir, problems)
    if cfg is not None:
        _check_against_site(setup, cfg, problems, on_board)
        _check_site_key(setup, cfg, problems, on_board)
    _check_network(setup, cfg, problems)
    _check_tls(setup, boot_dir, problems)
    if problems.out or cfg is None:       # no site file: _site said why
        raise SetupError(problems.out)
    return setup, cfg


def _check_roles(setup: Setup, problems: _Problems) -> None:
    seen: set[Role] = set()
    for i, role in enumerate(setup.roles):
        if role in seen:
            problems.add(("roles", i), f"{str(role)!r} hai lần / twice")
        seen.add(role)
        if role.kind in ON_THE_HUBS_BOARD and not setup.is_hub:
            problems.add(("roles", i), f"{role.kind!r} chạy trên bo mạch của hub: thêm 'hub' / "
                                       f"runs on the hub's board only: add 'hub'")


def _site(setup: Setup, boot_dir: Path, problems: _Problems) -> SiteConfig | None:
    path = boot_dir / setup.site_file
    if not path.is_file():
        there = sorted(p.name for p in boot_dir.glob("*.yaml") if p.name != SETUP_NAME)
        vi, en = suggest(setup.site_file, there)
        problems.add(("site_file",), f"không có tệp {setup.site_file!r} trên thẻ{vi} / no such file on the card{en}")
        return None
    try:
        return load(path)
    except ConfigError as e:
        problems.out.extend(f"{line} (tệp cấu hình có lỗi / the site file is wrong)" for line in e.lines())
        return None


def _check_against_site(setup: Setup, cfg: SiteConfig, problems: _Problems, on_board) -> None:
    for i, role in enumerate(setup.roles):
        section = SITE_SECTIONS.get(role.kind)
        if section:
            ids = [e.id for e in getattr(cfg, section)]
            if role.ident not in ids:
                (vi, en), have = suggest(str(role.ident), ids), f"({section}: {', '.join(ids) or '-'})"
                problems.add(("roles", i), f"tệp cấu hình không có {role.kind} {role.ident!r}{vi} {have} / "
                                           f"the site file has no {role.kind} {role.ident!r}{en} {have}")
        elif role.kind in ("followup", "console") and getattr(cfg, role.kind) is None:
            problems.add(("roles", i), f"tệp cấu hình không có mục {role.kind} / the site file has no "
                                       f"{role.kind} section")
    users = acl.users(cfg)
    for user in setup.passwords:
        if user not in users:
            vi, en = suggest(user, users)
            problems.add(("passwords", user), f"người dùng lạ{vi} / unknown broker user{en}")
    if not setup.is_hub:
        for role in setup.roles:
            if role.broker_user not in setup.passwords and not on_board(password_file(role.broker_user)):
                problems.add(("passwords",), f"thiếu mật khẩu của {role.broker_user!r}: chép từ bo mạch hub "
                                             f"(/etc/motcua/secrets/{role.broker_user}.password) / the password of "
                                             f"{role.broker_user!r} is missing: copy it from the hub's board")


def password_file(broker_user: str) -> str:
    """Where a board keeps a broker user's password (systemd/install.sh)."""
    return f"/etc/motcua/secrets/{broker_user}.password"


def _check_site_key(setup: Setup, cfg: SiteConfig, problems: _Problems, on_board) -> None:
    """A kiosk's board needs the hub's key when the site names one (its own would hash the same card otherwise);
    the hub's board makes its own, or keeps the one given (a board replacing the hub's keeps the hall's key)."""
    named = cfg.site.secret_file
    if setup.site_key and not named:
        problems.add(("site_key",), "tệp cấu hình không có site.secret_file: khóa này không dùng được / "
                                    "the site file names no site.secret_file: the key would not be used")
    needs = not setup.is_hub and "kiosk" in setup.kinds()
    if needs and named and not setup.site_key and not on_board(named):
        problems.add(("site_key",), f"thiếu khóa của sảnh: chép từ bo mạch hub ({named}) / the site's key is "
                                    f"missing: copy it from the hub's board ({named})")


def _check_network(setup: Setup, cfg: SiteConfig | None, problems: _Problems) -> None:
    hub = setup.hub_address or (cfg.mqtt.host if cfg is not None else None)
    if not setup.is_hub and hub is not None and _is_loopback(hub):
        problems.add(("hub_address",), f"{hub!r} là chính bo mạch này, không phải hub: ghi hub_address, địa chỉ của "
                                       f"hub trong mạng / is this board itself, not the hub: write hub_address, the "
                                       f"hub's address on the hall's LAN")
    if setup.address and setup.gateway:
        if ipaddress.ip_address(setup.gateway) not in ipaddress.ip_interface(setup.address).network:
            problems.add(("gateway",), f"{setup.gateway} ngoài mạng / is outside {setup.address}")
    if setup.is_hub and setup.hub_address and setup.address \
            and setup.hub_address != str(ipaddress.ip_interface(setup.address).ip):
        problems.add(("hub_address",), f"bo mạch hub có địa chỉ / the hub's board has the address "
                                       f"{ipaddress.ip_interface(setup.address).ip}, not {setup.hub_address}")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _check_tls(setup: Setup, boot_dir: Path, problems: _Problems) -> None:
    if not setup.tls:
        return
    for key in ("ca_file", "cert_file", "key_file"):
        name = setup.tls.get(key)
        if name and not (boot_dir / name).is_file():
            problems.add(("tls", key), f"không có tệp {name!r} trên thẻ / no such file on the card")
    if setup.is_hub and bool(setup.tls.get("cert_file")) != bool(setup.tls.get("key_file")):
        problems.add(("tls",), "hub cần cả cert_file và key_file / the hub needs both cert_file and key_file")


def scrubbed(text: str) -> str:
    """The setup file without its secrets (``SECRET_KEYS``): the lines of each such top-level key become one
    comment; every other line, comment and key order stays as the clerk wrote it. The keys go top down: a key's
    lines end where the next key's comments begin, so the next key must still be there."""
    data, lines = load_yaml_with_lines(text)
    if not isinstance(data, dict):
        return text
    for key in sorted((k for k in SECRET_KEYS if k in data), key=lambda k: lines[(k,)]):
        text = _without(text, key)
    return text


def _without(text: str, key: str) -> str:
    data, lines = load_yaml_with_lines(text)
    if not isinstance(data, dict) or key not in data:
        return text
    starts = sorted(lines[(k,)] for k in data)
    if len(set(starts)) < len(starts):     # keys side by side on a line: written again without the secrets
        return yaml.safe_dump({k: v for k, v in data.items() if k not in SECRET_KEYS}, allow_unicode=True,
                              sort_keys=False)
    first = lines[(key,)]
    after = next((n for n in starts if n > first), None)
    rows = text.splitlines(keepends=True)
    end = len(rows) if after is None else after - 1
    while after is not None and end > first and rows[end - 1].lstrip().startswith("#"):
        end -= 1   # comments just above the next key belong to it
    note = f"# {key}: đã chép vào bo mạch rồi xóa khỏi thẻ / copied to the board, then erased from the card\n"
    return "".join(rows[:first - 1]) + note + "".join(rows[end:])
