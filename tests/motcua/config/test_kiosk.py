"""A kiosk's keys in the site file: their defaults, a portrait screen, every mistake reported at once,
and the maintenance PIN never shown, not even in an error."""
import pytest

from devtools.testbed import site_data, write_site
from motcua import config
from motcua.config.kiosk import Screen


def test_kiosk_keys_in_the_config(tmp_path, make_cfg):
    printer = {"connection": "directory", "path": str(tmp_path)}
    cfg = make_cfg(kiosks=[{"id": "k1", "printer": printer}])
    k = cfg.kiosks[0]
    assert (k.screen, k.idle_reset_s, k.dossier_lookup, k.maintenance_pin) == (
        Screen("landscape", 21.5), 60, True, None)
    cfg = make_cfg(kiosks=[{"id": "k1", "printer": printer, "maintenance_pin": "024680",
                            "screen": {"orientation": "portrait", "diagonal_in": 32}}])
    assert cfg.kiosks[0].maintenance_pin == "024680" and "024680" not in repr(cfg.kiosks)
    assert cfg.kiosks[0].screen == Screen("portrait", 32.0)


def test_kiosk_key_mistakes_are_reported_and_the_pin_never_shown(tmp_path):
    printer = {"connection": "directory", "path": str(tmp_path)}
    bad = {"id": "k1", "printer": printer, "maintenance_pin": "12ab34", "idle_reset_s": 2,
           "screen": {"orientation": "upright", "diagonal": 20}}
    with pytest.raises(config.ConfigError) as e:
        config.load(write_site(tmp_path, site_data(tmp_path, kiosks=[bad])))
    text = str(e.value)
    assert ("kiosks[0].maintenance_pin: '***': phải có dạng 4 đến 12 chữ số / '***' does not match 4 to 12 digits"
            in text) and "12ab34" not in text
    assert "kiosks[0].idle_reset_s: 2: phải là số nguyên từ 5 đến 3600 / 2 is out of range 5..3600" in text
    assert "kiosks[0].screen.orientation: phải là một trong: landscape, portrait" in text
    assert ("kiosks[0].screen.diagonal: không có khóa này; có phải ý bạn là 'diagonal_in'? / "
            "unknown key (did you mean 'diagonal_in'?)") in text

