"""The site file's keys for a citizen's own limits and numbers by SMS (SPEC 3.1): off unless
configured, bounded, and the defaults SPEC gives."""
import pytest

from devtools.testbed import service, site_data, write_site
from motcua import config
from motcua.config import ConfigError


def test_everything_is_off_unless_configured(tmp_path):
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    land = cfg.by_service["LAND"]
    assert (cfg.site.secret_file, cfg.site.per_person_daily, cfg.priority.age) == (None, None, 60)
    assert (land.per_person_daily, land.remote, land.remote_limit) == (None, False, None)


def test_the_remote_limit_is_a_quarter_of_the_daily_limit_unless_set(tmp_path):
    services = [service("LAND", "A", remote=True, daily_limit=150), service("JUST", "B", remote=True, daily_limit=2),
                service("TAX", "C", remote=True, daily_limit=150, remote_daily_limit=10)]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, services=services)))
    assert [cfg.by_service[s].remote_limit for s in ("LAND", "JUST", "TAX")] == [37, 1, 10]


def test_bounds_are_reported_by_key_path(tmp_path):
    data = site_data(tmp_path, services=[service("LAND", "A", per_person_daily=0, remote="yes", remote_daily_limit=0),
                                         service("JUST", "B")], priority={"mode": "first", "age": 30})
    data["site"].update(per_person_daily=101, secret_file="")
    with pytest.raises(ConfigError) as e:
        config.load(write_site(tmp_path, data))
    said = "\n".join(e.value.lines())
    for key in ("site.per_person_daily", "site.secret_file", "priority.age", "services[0].per_person_daily",
                "services[0].remote", "services[0].remote_daily_limit"):
        assert f": {key}: " in said, key
