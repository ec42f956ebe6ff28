"""SPEC section 1: the packages. ``motcua`` is what every process shares; the three processes with
a screen or a serial line import it, never each other; nothing of ``motcua`` but ``kivyrun`` loads
Kivy, so the hub, the follow-up and the console stay small."""
import ast
import re
import subprocess
import sys

import pytest

from devtools.testbed import ROOT, env
from motcua.contract import REQUESTS

HEADLESS = ["motcua.hub.__main__", "motcua.hub.server", "motcua.contract", "motcua.config", "motcua.link",
            "motcua.hubclient", "motcua.startup", "motcua.acl",
            "motcua.console.__main__", "motcua.console.pages", "motcua.console.phone", "motcua.console.counter_panel",
            "motcua.followup.__main__"]


def imported_roots(package: str) -> dict[str, set[str]]:
    """Every top-level package each module of ``package`` imports, read from its source."""
    out = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


def test_importing_the_headless_parts_loads_no_kivy():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in HEADLESS)
            + "print(sorted(m for m in sys.modules if m == 'kivy' or m.startswith('kivy.')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


@pytest.mark.parametrize("package, forbidden", [
    ("motcua", {"kiosk", "display_board", "firmware_bridge", "devtools"}),
    ("kiosk", {"display_board", "firmware_bridge", "devtools"}),
    ("display_board", {"kiosk", "firmware_bridge", "devtools"}),
    ("firmware_bridge", {"kiosk", "display_board", "devtools"}),
])
def test_each_process_imports_motcua_never_another_process(package, forbidden):
    found = imported_roots(package)
    wrong = {f: sorted(names & forbidden) for f, names in found.items() if names & forbidden}
    assert wrong == {}


def test_only_kivyrun_imports_kivy_in_motcua():
    users = sorted(f for f, names in imported_roots("motcua").items() if "kivy" in names)
    assert users == ["motcua/kivyrun.py"]


def imported_modules(path) -> set[str]:
    """The full names of the modules a file imports, relative imports resolved (``from ..hub import dossiers`` in
    motcua/console/data.py is ``motcua.hub.dossiers``)."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + (node.module.split(".") if node.module else []))
            for a in node.names:
                sub = ROOT.joinpath(*module.split("."), a.name)
                out.add(f"{module}.{a.name}" if sub.with_suffix(".py").exists() or sub.is_dir() else module)
    return out


# the hub's database, read-only: a dossier's record, the published views, a day's figures (SPEC 1)
HUB_READERS = {"motcua.hub.dossiers", "motcua.hub.views", "motcua.hub.figures"}


@pytest.mark.parametrize("package", ["console", "followup"])
def test_the_console_and_the_follow_up_use_only_the_hubs_readers(package):
    wrong = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                              if m.split(".")[:2] == ["motcua", "hub"] and m not in HUB_READERS)
             for p in (ROOT / "motcua" / package).rglob("*.py")}
    assert {f: m for f, m in wrong.items() if m} == {}


def test_the_configuration_imports_no_process():
    processes = {"hub", "followup", "console", "appliance"}
    wrong = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if m.split(".")[:2] in
                                              [["motcua", name] for name in processes])
             for p in (ROOT / "motcua" / "config").rglob("*.py")}
    assert {f: m for f, m in wrong.items() if m} == {}


CITES_AN_ISSUE = re.compile(r"issue\s*#?\s*\d+", re.IGNORECASE)


def text_files(*tops: str):
    """Every source, template and text file under the given top-level folders."""
    for top in tops:
        for p in sorted((ROOT / top).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in TEXT_SUFFIXES:
                yield p


TEXT_SUFFIXES = {".py", ".kv", ".html", ".js", ".css", ".yaml", ".md", ".txt"}


def test_no_file_cites_an_issue_number():
    """An issue number tells a reader nothing the tracker's history does not: the code and its tests say what they
    hold or check instead."""
    found = [f"{p.relative_to(ROOT)}:{n}"
             for p in text_files("motcua", "kiosk", "display_board", "firmware_bridge", "tests", "devtools")
             for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
             if CITES_AN_ISSUE.search(line)]
    assert found == []


PRODUCT = ("motcua", "kiosk", "display_board", "firmware_bridge")
# a topic, or a piece of one: a level the contract names followed or preceded by "/", in a string without spaces (a log
# line or a docstring has them) that does not start with "/" (the console's URLs do)
TOPIC_PIECE = re.compile(r"^(?!/)\S*((^|/)(reply|status|counter|service|seen|kiosk|calls|figures|config)/"
                         r"|/(state|command|rating|printer|detail|recent|clock|config|health)$)\S*$")
DEVICE_NAME = re.compile(r"^(kiosk|display|bridge|keypad|printer)-\{\}")      # f"kiosk-{id}" and its like


def string_texts(path) -> list[tuple[int, str]]:
    """Every string constant and f-string of a module, an f-string's values as ``{}``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            out.append((node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out


def builds_a_topic(text: str) -> bool:
    return bool(TOPIC_PIECE.search(text) and text not in REQUESTS or DEVICE_NAME.search(text))


def topic_builders(path) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{n}: {text}" for n, text in string_texts(path) if builds_a_topic(text)]


def test_only_the_contract_builds_topics_and_device_names():
    """Topics and ``kiosk-<id>``-style names are built by ``motcua.contract`` (Topics, component_name) and read back by
    ``Topics.parse``; a request's name (``ticket/issue``) is what ``parse`` gives, not a topic."""
    found = [hit for top in PRODUCT for p in sorted((ROOT / top).rglob("*.py"))
             if p != ROOT / "motcua" / "contract.py" for hit in topic_builders(p)]
    assert found == []


@pytest.mark.parametrize("text, building", [
    ("{}/reply/{}", True), ("seen/", True), ("{}/counter/{}/state", True), ("status/{}", True), ("{}/clock", True),
    ("kiosk-{}", True), ("keypad-{}", True), ("{}/calls/recent", True),
    ("ticket/issue", False), ("/counter/{}", False), ("/events/counter/{}", False), ("{}/t/{}/{}", False),
    ("bỏ qua tin seen / passed over a seen message from %r", False), ("``status/hub/clock`` says it", False),
    ("{}/{}", False), ("kiosk-poll", False),
])
def test_the_topic_check_tells_topics_from_urls_and_log_lines(text, building):
    assert builds_a_topic(text) is building


def test_the_topic_check_sees_the_contracts_own_topics():
    hits = topic_builders(ROOT / "motcua" / "contract.py")
    assert any("/reply/" in h for h in hits) and any("/state" in h for h in hits)
