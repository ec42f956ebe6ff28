"""The fixtures every test may use — one mosquitto for the whole run, a site file written and loaded,
a real hub process with a client talking to it — and the `real` mark on every test that starts a
real process."""
import pytest

from devtools.testbed import Broker, HubProcess, site_data, write_site
from motcua import config


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    b = Broker(tmp_path_factory.mktemp("broker")).start()
    yield b
    b.stop()


@pytest.fixture
def make_cfg(tmp_path):
    """make_cfg(**sections) -> a loaded SiteConfig written to tmp_path/site.yaml."""
    def make(port: int = 1883, **sections):
        return config.load(write_site(tmp_path, site_data(tmp_path, port, **sections)))
    return make


@pytest.fixture
def hub(tmp_path, broker):
    """A real hub process on the session broker, and a client talking to it."""
    from motcua.hubclient import HubClient
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    proc = HubProcess(cfg.path, tmp_path / "hub.log").start()
    client = HubClient(cfg, "test").start()
    client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)  # the hub answers: it is up
    yield proc, client, cfg
    client.stop()
    proc.stop()


# --- `make check`: the tests that start no real process ------------------------------------
# A test is marked `real` when it, a fixture it uses or a helper of its own reaches for one of these:
# the rig's processes (mosquitto, the hub, gammu-smsd, socat, the console, a province of halls), a
# spy on a broker, Chromium, or any child process (every Kivy window is one). `pytest.mark.real`
# marks by hand what this cannot see.
REAL = {"broker", "hub", "Broker", "HubProcess", "BridgeProcess", "ConsoleProcess", "GammuSmsd", "PtyPair", "Spy",
        "ProvinceRig", "RealHall", "chromium", "subprocess", "Popen", "in_a_child"}


def _reaches_real(code, names: dict, seen: set) -> bool:
    """Whether code, or a function or class of the tests it names (followed through), names REAL."""
    if code in seen:
        return False
    seen.add(code)
    if REAL & set(code.co_names):
        return True
    inner = [c for c in code.co_consts if hasattr(c, "co_names")]
    for name in code.co_names:
        value = names.get(name)
        if getattr(value, "__module__", "").startswith("tests"):
            funcs = [value] if callable(value) and hasattr(value, "__code__") else \
                [f for f in vars(value).values() if hasattr(f, "__code__")] if isinstance(value, type) else []
            if any(_reaches_real(f.__code__, f.__globals__, seen) for f in funcs):
                return True
    return any(_reaches_real(c, names, seen) for c in inner)


def _is_real(item) -> bool:
    if REAL & set(item.fixturenames):
        return True
    seen: set = set()
    funcs = [item.function] + [d.func for defs in item._fixtureinfo.name2fixturedefs.values() for d in defs]
    return any(_reaches_real(f.__code__, f.__globals__, seen) for f in funcs if hasattr(f, "__code__"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("real") is None and _is_real(item):
            item.add_marker(pytest.mark.real)
