"""The three ways a message leaves (SPEC section 11), behind one narrow seam.

``hand(message, ref)`` hands one message over or raises ``TransportError`` with the reason;
``ref`` (``m<id>a<try>``) is in every file a transport writes, so after a crash ``find(ref)``
tells whether it was handed already — no message is handed twice. Gammu reports later: the
file moves to its sent or error folder, which ``results`` reads.
"""
from __future__ import annotations

import configparser
import json
import logging
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .outbox import ANSWER, TURN, Message
from .texts import parts

log = logging.getLogger(__name__)
# gammu-smsd's files backend sends its outbox in the order of the file names, OUT<priority><date>_…, A first: a
# turn notice must not wait behind a burst of dossier messages (a modem sends about one a second)
PRIORITY = {TURN: "A", ANSWER: "B"}
DOSSIER_PRIORITY = "C"

class TransportError(Exception):
    """A try that failed, with what a technician needs to know."""


@dataclass(frozen=True)
class Incoming:
    """An SMS received by the modem; ``name`` is the daemon's file for it, handled once; ``phone`` is the sender as the
    modem gave it."""
    name: str         # the daemon's file name: processed once
    phone: str
    text: str


class Transport:
    """What a transport that cannot be asked anything answers."""
    immediate, knows = True, False      # sent once handed; cannot tell afterwards whether it took one

    def find(self, ref: str) -> bool:
        return False

    def results(self, handed: list[Message]) -> dict[int, str | None]:
        return {}

    def retract(self, ref: str) -> bool:
        """Takes back a handed message not yet sent; True when it is certainly not going out."""
        return False

    def alive(self) -> bool | None:
        return None

    def incoming(self) -> list[Incoming]:
        return []


class Directory(Transport):
    """One file per message, for demos and tests: ``<ref>-<phone>.txt``."""
    knows = True

    def __init__(self, path: str):
        self.path = Path(path)

    def hand(self, m: Message, ref: str) -> str:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            tmp = self.path / f".{ref}.tmp"
            tmp.write_text(f"To: {m.phone}\nDossier: {m.code or '-'}\n\n{m.text}\n", encoding="utf-8")
            os.replace(tmp, self.path / f"{ref}-{m.phone}.txt")
        except OSError as e:
            raise TransportError(f"cannot write to {self.path}: {e}") from None
        return ref

    def find(self, ref: str) -> bool:
        return any(self.path.glob(f"{ref}-*.txt"))


class Gammu(Transport):
    """Gammu SMSD's files backend. ``gammu-smsd-inject`` writes the message (multipart and Unicode
    as Gammu itself does) into a staging folder; it is then moved into the daemon's outbox under
    a name carrying ``ref``. The daemon moves it to its sent or error folder."""
    immediate, knows = False, True

    def __init__(self, config: str, state_dir: str, inject: str = "gammu-smsd-inject",
                 monitor: str = "gammu-smsd-monitor", unicode: bool = False):
        self.config, self.inject, self.monitor, self.unicode = config, inject, monitor, unicode
        rc = configparser.ConfigParser(interpolation=None)
        if not rc.read(config, encoding="utf-8") or not rc.has_section("smsd"):
            raise TransportError(f"cannot read Gammu SMSD's config {config} (no [smsd] section)")
        smsd = rc["smsd"]
        self.outbox, self.sent_dir = Path(smsd.get("outboxpath", "")), Path(smsd.get("sentsmspath", ""))
        self.error_dir, self.inbox = Path(smsd.get("errorsmspath", "")), Path(smsd.get("inboxpath", ""))
        self.staging = Path(state_dir) / "gammu-staging"
        self.staging.mkdir(parents=True, exist_ok=True)
        smsd["outboxpath"] = f"{self.staging}/"
        smsd["logfile"] = str(Path(state_dir) / "gammu-inject.log")
        self.staging_config = Path(state_dir) / "gammu-inject.rc"
        self.unmovable: set[str] = set()        # undecodable texts that could not be moved aside (logged once)
        with open(self.staging_config, "w", encoding="utf-8") as f:
            rc.write(f)

    def hand(self, m: Message, ref: str) -> str:
        if parts(m.text, self.unicode) == 1:      # most notices: Gammu's own file format, written here
            return self._write(m, smsbackup(m.phone, m.text, self.unicode), ref)
        return self._inject(m, ref)               # multipart: Gammu's inject makes the parts

    def _write(self, m: Message, content: str, ref: str) -> str:
        stamp = time.strftime("%Y%m%d_%H%M%S")
        try:
            tmp = self.outbox / f".{ref}.tmp"          # the daemon takes only names that begin with OUT
            tmp.write_text(content, encoding="utf-8")
            os.replace(tmp, self.outbox / f"OUT{priority(m)}{stamp}_00_{m.phone}_{ref}.smsbackup")
        except OSError as e:
            raise TransportError(f"cannot write to Gammu's outbox {self.outbox}: {e}") from None
        return ref

    def _inject(self, m: Message, ref: str) -> str:
        argv = [self.inject, "-c", str(self.staging_config), "TEXT", m.phone, "-len", str(len(m.text)),
                *(["-unicode"] if self.unicode else []), "-text", m.text]
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TransportError(f"gammu-smsd-inject: {e}") from None
        made = re.search(r"Written message with ID (\S+)", r.stdout + r.stderr)
        if r.returncode != 0 or made is None:
            raise TransportError(f"gammu-smsd-inject exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}")
        staged = Path(made.group(1))
        final = f"OUT{priority(m)}{staged.name[4:].rsplit('_', 1)[0]}_{ref}{staged.suffix}"   # OUTC… as inject wrote
        try:
            tmp = self.outbox / f".{ref}.tmp"          # the daemon takes only names that begin with OUT
            shutil.copyfile(staged, tmp)
            os.replace(tmp, self.outbox / final)
            staged.unlink()
        except OSError as e:
            raise TransportError(f"cannot write to Gammu's outbox {self.outbox}: {e}") from None
        return ref

    def _places(self) -> dict[str, str]:
        """ref -> "sent" | "error" | "outbox", each folder listed once (the daemon keeps a file's
        name as it moves it)."""
        out = {}
        for state, folder in (("outbox", self.outbox), ("error", self.error_dir), ("sent", self.sent_dir)):
            for name in os.listdir(folder) if folder.is_dir() else ():
                if name.startswith("OUT"):
                    out[name.rsplit(".", 1)[0].rsplit("_", 1)[-1]] = state
        return out

    def find(self, ref: str) -> bool:
        return ref in self._places()

    def retract(self, ref: str) -> bool:
        """The message's file taken out of the daemon's outbox; False when the daemon took it first."""
        for name in os.listdir(self.outbox) if self.outbox.is_dir() else ():
            if name.startswith("OUT") and name.rsplit(".", 1)[0].rsplit("_", 1)[-1] == ref:
                try:
                    os.unlink(self.outbox / name)
                except OSError:
                    return False
                return True
        return False

    def results(self, handed: list[Message]) -> dict[int, str | None]:
        """id -> None (sent) or the reason it failed, for those the daemon has finished with."""
        places, out = self._places(), {}
        for m in handed:
            where = places.get(m.ref or "")
            if where == "sent":
                out[m.id] = None
            elif where == "error":
                out[m.id] = f"Gammu could not send it (moved to {self.error_dir})"
            elif where is None:
                out[m.id] = "the message left Gammu's outbox without a trace"
        return out

    def alive(self) -> bool | None:
        try:
            r = subprocess.run([self.monitor, "-c", self.config, "-n", "1", "-d", "0"], capture_output=True,
                               timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return r.returncode == 0

    def incoming(self) -> list[Incoming]:
        """The texts in the daemon's inbox. One that cannot be decoded (a lone surrogate, an odd
        byte count in UTF-16) is moved aside into ``inbox-bad/`` beside the inbox, logged, never
        lost, and never again in the way of the others."""
        out = []
        for p in sorted(self.inbox.glob("IN*.txt")):
            fields = p.stem.split("_")
            if len(fields) < 4 or p.name in self.unmovable:
                continue
            try:
                out.append(Incoming(p.name, fields[3], decode(p.read_bytes())))
            except UnicodeDecodeError as e:
                self._set_aside(p, e)
            except OSError as e:          # taken away meanwhile, or not readable by us
                log.warning("không đọc được tin nhắn đến / cannot read the incoming SMS %s: %s", p.name, e)
        return out

    def _set_aside(self, p: Path, why: Exception) -> None:
        bad = self.inbox.parent / "inbox-bad"
        try:
            bad.mkdir(exist_ok=True)
            target, n = bad / p.name, 0
            while target.exists():        # Gammu reuses a name once its file has left the inbox
                n += 1
                target = bad / f"{p.stem}-{n}{p.suffix}"
            os.rename(p, target)
        except OSError as e:
            self.unmovable.add(p.name)
            log.error("tin nhắn đến không đọc được và không chuyển được / an incoming SMS that cannot be decoded "
                      "could not be moved aside, left in place (%s): %s: %s", why, p, e)
            return
        log.warning("tin nhắn đến không đọc được, đã chuyển sang / an incoming SMS that cannot be decoded was moved "
                    "to %s: %s", target, why)


def priority(m: Message) -> str:
    """The letter after ``OUT`` in gammu-smsd's outbox: turn notices, then answers, then dossier messages."""
    return PRIORITY.get(m.event, DOSSIER_PRIORITY)


def decode(raw: bytes) -> str:
    """An inbox file: UTF-16 with its byte order mark (``InboxFormat = unicode``) or the daemon's
    8-bit text; raises UnicodeDecodeError on UTF-16 that is not valid."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    return raw.decode("utf-8", "replace")


def smsbackup(phone: str, text: str, unicode: bool) -> str:
    """One single-part message in Gammu's SMS backup format, as ``gammu-smsd-inject`` writes it."""
    hex_text = text.encode("utf-16-be").hex().upper()
    lines = [f"Text{i // 200:02d} = {hex_text[i:i + 200]}" for i in range(0, len(hex_text), 200)]
    return "\n".join(["[SMSBackup000]", "PDU = Submit", "State = UnSent", f'Number = "{phone}"',
                      f"NumberUnicode = {phone.encode('utf-16-be').hex().upper()}", *lines,
                      f"Coding = {'Unicode' if unicode else 'Default'}_No_Compression", "Folder = 1",
                      f"Length = {len(text)}", "Class = -1", "ReplySMSC = False", "RejectDuplicates = False",
                      "ReplaceMessage = 0", "MessageReference = 0", ""])


class Http(Transport):
    """A brand-name SMS gateway: a POST of ``body`` (``{phone}`` and ``{text}`` filled in, JSON-
    escaped for a JSON body), with the token from ``token_file`` as a Bearer; success is a 2xx
    whose body matches ``ok``. It cannot be asked afterwards whether it took a message."""

    def __init__(self, url: str, body: str, content_type: str, token_file: str | None, ok: str, timeout_s: int):
        self.url, self.body, self.content_type, self.timeout = url, body, content_type, timeout_s
        self.token_file, self.ok = token_file, re.compile(ok) if ok else None

    def hand(self, m: Message, ref: str) -> str:
        quote = (lambda v: json.dumps(v, ensure_ascii=False)[1:-1]) if "json" in self.content_type else str
        data = self.body.replace("{phone}", quote(m.phone)).replace("{text}", quote(m.text)).replace("{ref}", ref)
        req = urllib.request.Request(self.url, data=data.encode("utf-8"), method="POST",
                                     headers={"Content-Type": self.content_type})
        if self.token_file:
            try:
                req.add_header("Authorization", f"Bearer {Path(self.token_file).read_text().strip()}")
            except OSError as e:
                raise TransportError(f"cannot read the gateway token: {e}") from None
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                answer = resp.read(65536).decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            raise TransportError(f"the gateway answered HTTP {e.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise TransportError(f"the gateway cannot be reached: {getattr(e, 'reason', e)}") from None
        if self.ok is not None and not self.ok.search(answer):
            raise TransportError(f"the gateway did not confirm: {answer[:200]!r}")
        return ref


def transport_for(sms, state_dir: str):
    """The transport the site file's ``followup.sms.transport`` names (gammu, http or directory), ``state_dir`` for the
    gammu one's own files; it may raise TransportError."""
    if sms.transport == "gammu":
        g = sms.gammu
        return Gammu(g["config"], state_dir, g["inject"], g["monitor"], sms.unicode)
    if sms.transport == "http":
        return Http(**sms.http)
    return Directory(sms.directory["path"])
