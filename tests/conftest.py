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
