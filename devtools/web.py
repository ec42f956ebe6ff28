"""The console's real parts for the tests, the benchmarks and the demo's screenshots: the console as
a real process, a site file with its users, and Debian's headless Chromium driven by Selenium
through the system chromedriver (no browser download: the hall has no internet)."""
from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
from pathlib import Path

from .testbed import ROOT, HubProcess, env, free_port, wait_for

PASSWORDS = {"giamsat": "mk-giam-sat-1", "quay1": "mk-quay-mot-1", "quay2": "mk-quay-hai-2"}
_HASHES: dict[str, str] = {}


def users() -> list[dict]:
    """A supervisor and two clerks (counters 1 and 2) with known passwords; hashed once per run."""
    from motcua.console.auth import hash_password
    for name, pw in PASSWORDS.items():
        _HASHES.setdefault(name, hash_password(pw))
    return [{"name": "giamsat", "role": "supervisor", "password_hash": _HASHES["giamsat"]},
            {"name": "quay1", "role": "clerk", "counters": ["1"], "password_hash": _HASHES["quay1"]},
            {"name": "quay2", "role": "clerk", "counters": ["2"], "password_hash": _HASHES["quay2"]}]


def console_section(tmp: Path, port: int | None = None, **more) -> dict:
    port = port or free_port()
    return {"listen": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}",
            "secret_file": str(Path(tmp) / "console.key"), **more}


class ConsoleProcess(HubProcess):
    """``python -m motcua.console`` as a real process; ``base`` is its address."""

    def __init__(self, config: Path, log: Path, base: str, environ: dict | None = None):
        """``environ``: more environment for the process (systemd's NOTIFY_SOCKET, STATE_DIRECTORY…)."""
        super().__init__(config, log)
        self.base, self.environ = base, environ or {}

    def start(self, wait: bool = True) -> ConsoleProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "motcua.console", "--config", str(self.config)],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                     env={**env(), **self.environ}, cwd=ROOT)
        if wait:
            wait_for(self.answers, 15, f"the console at {self.base}")
        return self

    def answers(self) -> bool:
        try:
            return get(self.base, "/login")[0] == 200
        except OSError:
            return False


def get(base: str, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    host = base.split("://", 1)[1]
    c = http.client.HTTPConnection(host, timeout=10)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def chromium(width: int = 1366, height: int = 768, downloads: Path | None = None, mobile: bool = False):
    """A headless Chromium (Debian's), with the flags this closed network needs."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--window-size={width},{height}",
                f"--user-data-dir={tempfile.mkdtemp(prefix='motcua-chromium-')}"):
        opts.add_argument(arg)
    if mobile:
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height,
                                                                           "pixelRatio": 2.0}})
    if downloads is not None:
        opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                               "download.prompt_for_download": False})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def login(driver, base: str, name: str, path: str = "/") -> None:
    """Type the user's name and password into the login form, as a person would."""
    from selenium.webdriver.common.by import By
    driver.get(f"{base}/login?next={path}")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for(lambda: "/login" not in driver.current_url, 10, f"{name} logged in")


def wait_text(driver, css: str, predicate, timeout: float = 5.0, what: str = "the page") -> str:
    """The text of the first element matching ``css`` once ``predicate(text)`` holds."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    seen = {"text": None}

    def check():
        try:
            els = driver.find_elements(By.CSS_SELECTOR, css)
            seen["text"] = els[0].text if els else None
        except StaleElementReferenceException:
            return False
        return seen["text"] is not None and predicate(seen["text"])
    try:
        wait_for(check, timeout, what)
    except AssertionError:
        raise AssertionError(f"{what}: {css} shows {seen['text']!r}") from None
    return seen["text"]


class WebClient:
    """A browser without a screen, for hostile requests and benchmarks: keeps its cookies, sends a
    form as a browser does (with the Origin it came from, unless told otherwise). ``source`` is
    the loopback address it comes from (127.0.0.2, …): another machine of the hall, as the console
    sees it."""

    def __init__(self, base: str, source: str | None = None):
        self.base, self.cookies, self.source = base, {}, source

    def connection(self, timeout: float = 15) -> http.client.HTTPConnection:
        host = self.base.split("://", 1)[1]
        return http.client.HTTPConnection(host, timeout=timeout,
                                          source_address=(self.source, 0) if self.source else None)

    def cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                origin: str | None = "same") -> tuple[int, dict, bytes]:
        from urllib.parse import urlencode
        c = self.connection()
        h = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            if origin is not None:
                h["Origin"] = self.base if origin == "same" else origin
        h.update(headers or {})
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0].strip('"')
                    if value and "Max-Age=0" not in v and "expires=Thu, 01 Jan 1970" not in v:
                        self.cookies[name] = value
                    else:
                        self.cookies.pop(name, None)
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, form: dict, **kw):
        return self.request("POST", path, form=form, **kw)

    def login(self, name: str, password: str | None = None) -> int:
        """The login form, as a person fills it: the form's own token, then the post."""
        return self.login_answer(name, password)[0]

    def login_answer(self, name: str, password: str | None = None) -> tuple[int, dict, bytes]:
        import re
        status, _, body = self.get("/login")
        token = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
        return self.post("/login", {"csrf": token, "username": name,
                                    "password": PASSWORDS.get(name, "") if password is None else password})

    def csrf(self, path: str = "/") -> str:
        """The forgery token on a page this session may see."""
        import re
        _, _, body = self.get(path)
        m = re.search(rb'name="csrf" value="([^"]+)"', body)
        return m.group(1).decode() if m else ""


class EventStream:
    """A server-sent event stream held open as a browser's EventSource holds it: ``status`` is the
    answer's, ``next_event()`` reads one event, ``ended()`` is True once the console closed it."""

    def __init__(self, client: WebClient, path: str, timeout: float = 15):
        self.conn = client.connection(timeout)
        self.conn.request("GET", path, headers={**client.cookie_header(), "Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.status = self.response.status

    def next_event(self, within: float = 20.0) -> tuple[str, str] | None:
        """(event, data) of the next event, None at the stream's end; comments (keepalives) are
        skipped, and an event that does not come ``within`` seconds is an AssertionError."""
        import time
        event, data, deadline = "message", [], time.monotonic() + within
        while True:
            if time.monotonic() > deadline:
                raise AssertionError(f"no event in {within} s")
            try:
                line = self.response.readline()         # the chunked framing read through
            except http.client.IncompleteRead:
                return None
            if not line:
                return None
            text = line.decode("utf-8").rstrip("\r\n")
            if text == "" and data:
                return event, "\n".join(data)
            if text.startswith("event:"):
                event = text[6:].strip()
            elif text.startswith("data:"):
                data.append(text[5:].strip())

    def events_until_end(self, within: float = 20.0) -> list[str]:
        """The names of the events still to come, up to the stream's end within ``within`` seconds."""
        import time
        names, deadline = [], time.monotonic() + within
        while (got := self.next_event(max(0.0, deadline - time.monotonic()))) is not None:
            names.append(got[0])
        return names

    def close(self) -> None:
        self.conn.close()
