"""SPEC section 2: the site file, every problem at once with FILE:LINE, did-you-mean, collisions."""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from devtools.testbed import ROOT, counter, service, site_data, write_site
from motcua import config
from motcua.config import ConfigError
from motcua.config.load import labels_overlap
from motcua.contract import format_label

EXAMPLE = ROOT / "config" / "example.yaml"


def problems(tmp_path, text: str) -> list[str]:
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config.load(p)
    return e.value.lines()


def test_example_config_is_valid_and_believable():
    cfg = config.load(EXAMPLE)
    assert 6 <= len(cfg.services) and 10 <= len(cfg.counters) <= 14
    assert all(s.hours for s in cfg.services) and any(s.daily_limit for s in cfg.services)
    assert cfg.site.tz.key == "Asia/Ho_Chi_Minh"


def test_every_problem_reported_at_once_with_line_and_suggestion(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("default_service_minutes: 8", "default_service_minute: 8")
    text = text.replace("    first: 1001", '    first: "one"')
    text = text.replace("mode: alternate", "mode: sometimes")
    lines = problems(tmp_path, text)
    src = text.splitlines()
    by_key = {ln.split(": ")[1]: ln for ln in lines}
    unknown = by_key["hub.default_service_minute"]
    assert "có phải ý bạn là 'default_service_minutes'?" in unknown
    assert "did you mean 'default_service_minutes'" in unknown
    line_no = int(unknown.split(":")[1])
    assert "default_service_minute:" in src[line_no - 1]
    assert "services[6].first" in by_key and '"one"' in src[int(by_key["services[6].first"].split(":")[1]) - 1]
    assert "priority.mode" in by_key
    assert all(ln.startswith(f"{tmp_path / 'bad.yaml'}:") for ln in lines)


def test_missing_keys_and_bounds(tmp_path):
    data = site_data(tmp_path)
    del data["site"]["timezone"]
    data["services"][0]["last"] = 10000
    data["services"][1]["prefix"] = "abc"
    data["mqtt"]["port"] = 0
    lines = problems(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    text = "\n".join(lines)
    for key in ("site.timezone: thiếu khóa bắt buộc / required key is missing", "services[0].last",
                "services[1].prefix", "mqtt.port"):
        assert key in text, text


@pytest.mark.parametrize("a,b,collide", [
    (("A", 1, 99), ("", 1, 999), False),
    (("", 1001, 1999), ("", 1500, 2500), True),
    (("", 1, 999), ("", 1001, 1999), False),
    (("B", 1, 50), ("B", 51, 99), False),
    (("B", 1, 50), ("B", 50, 99), True),
])
def test_label_collisions_are_checked_on_labels(tmp_path, a, b, collide):
    data = site_data(tmp_path, services=[service("S1", *a), service("S2", *b)],
                     counters=[counter(1, ["S1", "S2"])])
    path = write_site(tmp_path, data)
    if collide:
        with pytest.raises(ConfigError, match=r"services\[1\]: số phát ra có thể trùng với số của dịch vụ 'S1' / "
                                              r"its labels can collide with those of service 'S1'"):
            config.load(path)
    else:
        config.load(path)


ranges = st.tuples(st.integers(0, 9999), st.integers(0, 9999)).map(sorted)


@given(ranges, ranges)
def test_collision_rule_matches_the_labels_themselves(ra, rb):
    """Property: the check says 'collide' exactly when some label comes from both (brute force)."""
    a, b = SimpleNamespace(first=ra[0], last=ra[1]), SimpleNamespace(first=rb[0], last=rb[1])
    la = {format_label("", n, a.last) for n in range(a.first, a.last + 1)}
    lb = {format_label("", n, b.last) for n in range(b.first, b.last + 1)}
    assert labels_overlap(a, b) == bool(la & lb)


def test_references_are_checked(tmp_path):
    data = site_data(tmp_path, counters=[counter(1, ["LANDS"])],
                     displays=[{"id": "hall", "counters": ["9"]}],
                     bridges=[{"id": "b1", "ports": [{"device": "/dev/ttyUSB0", "keypads": {5: "1", 6: "1"}}]}])
    text = "\n".join(problems(tmp_path, yaml.safe_dump(data, allow_unicode=True)))
    assert ("counters[0].services[0]: không có dịch vụ 'LANDS'; có phải ý bạn là 'LAND'? / "
            "unknown service 'LANDS' (did you mean 'LAND'?)") in text
    assert "displays[0].counters[0]: không có quầy '9' / unknown counter '9'" in text
    assert "quầy '1' đã có bàn phím ở bridges[0].ports[0].keypads[5] / counter '1' already has a keypad" in text


def test_not_yaml_and_not_a_mapping(tmp_path):
    assert "(top): không đọc được YAML / not valid YAML" in problems(tmp_path, "site: [unclosed\n")[0]
    assert "cần các cặp khóa: giá trị, không phải danh sách [1, 2] / expected a mapping" in \
        problems(tmp_path, "- 1\n- 2\n")[0]


def test_unknown_id_for_a_process_is_a_config_error(tmp_path):
    path = write_site(tmp_path, site_data(tmp_path, kiosks=[{"id": "k1", "printer": {
        "connection": "directory", "path": str(tmp_path)}}]))
    config.load(path, "kiosks", "k1")
    with pytest.raises(ConfigError, match="kiosks: không có mục nào có mã 'k2' .* / no entry with id 'k2'"):
        config.load(path, "kiosks", "k2")


def test_environment_overrides_broker_credentials(tmp_path, monkeypatch):
    data = site_data(tmp_path)
    data["mqtt"].update(username="file-user", password_file="/etc/pw")
    path = write_site(tmp_path, data)
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", "kiosk-k1")
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", "/run/pw")
    m = config.load(path).mqtt
    assert (m.username, m.password_file) == ("kiosk-k1", "/run/pw")
    assert "/run/pw" not in repr(m), "secrets are masked"


@pytest.mark.parametrize("args,rc", [([], 0), (["--bad"], 2)])
def test_check_config_exit_codes(tmp_path, args, rc):
    path = Path(EXAMPLE)
    if args:
        path = tmp_path / "bad.yaml"
        path.write_text(EXAMPLE.read_text(encoding="utf-8").replace("topic_root: motcua", "topic_rot: motcua"))
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(path), "--check-config"],
                       capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert r.returncode == rc, r.stdout + r.stderr
    if rc:
        assert ("mqtt.topic_rot: không có khóa này; có phải ý bạn là 'topic_root'? / "
                "unknown key (did you mean 'topic_root'?)") in r.stderr
