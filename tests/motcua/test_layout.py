"""SPEC section 1: the packages. ``motcua`` is what every process shares; the three processes with
a screen or a serial line import it, never each other; nothing of ``motcua`` but ``kivyrun`` loads
Kivy, so the hub, the follow-up and the console stay small."""
import ast
import subprocess
import sys

import pytest

from devtools.testbed import ROOT, env

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
