"""A default is written twice in the configuration: once on the dataclass a section builds (what code that makes one
by hand gets) and once in the schema (what a site file that leaves the key out gets). They must say the same, or a
hall behaves differently from a test that builds its section in code: every key with a schema default of every
section, down to the nested ones (a kiosk's printer and speech, a display's voice, the follow-up's SMS), is left out
of the example site file in turn and what the schema then builds is compared with its dataclass's default."""
import dataclasses

import yaml

from motcua.config.load import SCHEMA
from motcua.config.schema import MISSING, Ctx, Field, List, Map
from tests.motcua.config.test_load import EXAMPLE


def the_example_in_full() -> dict:
    """The example site file with its commented calendar put in: every section the schema has, each with entries."""
    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("#calendar:"):].split("\n\n")[0]
    return yaml.safe_load(text.replace(block, block.replace("\n#", "\n").removeprefix("#")))


def dataclass_defaults(built) -> dict:
    out = {}
    for f in dataclasses.fields(built):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def left_out(shape: Map, raw: dict, key: str):
    """What the schema builds of ``raw`` without ``key``: the value its default gives, after the section's build."""
    built = shape.validate({k: v for k, v in raw.items() if k != key}, (), Ctx())
    return getattr(built, key, "(the section is refused without it)")


def compared(shape: Field, raw, path: str, out: dict) -> None:
    """(what the schema gives for a key left out, the dataclass's default) by key path, for every key of every
    section whose schema has a default and whose dataclass has one too."""
    if isinstance(shape, List) and raw:
        compared(shape.item, raw[0], f"{path}[0]", out)
    if not isinstance(shape, Map):
        return
    raw = raw if isinstance(raw, dict) else {}
    built = shape.validate(raw, (), Ctx())
    defaults = dataclass_defaults(built) if dataclasses.is_dataclass(built) else {}
    for key, field in shape.fields.items():
        if key in defaults and field.default is not MISSING:
            out[f"{path}.{key}"] = (left_out(shape, raw, key), defaults[key])
        compared(field, raw.get(key), f"{path}.{key}", out)


def test_every_schema_default_is_its_dataclasss_default():
    pairs: dict = {}
    compared(SCHEMA, the_example_in_full(), "", pairs)
    assert {k: v for k, v in pairs.items() if v[0] != v[1]} == {}
    # the walk reaches the nested sections, where defaults were written twice before
    assert {".kiosks[0].printer.port", ".kiosks[0].printer.paper_width_mm", ".kiosks[0].idle_reset_s",
            ".kiosks[0].speech.speed", ".displays[0].last_calls", ".displays[0].voice.repeat"} <= pairs.keys()
    assert len(pairs) >= 30, sorted(pairs)
