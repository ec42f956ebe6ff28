"""The settings pages' form layer (SPEC 12.1): one section of the site document as named inputs, and back.

An input is named by its key path as the hub writes it in a problem (``services[0].hours``), so each problem of
``config_invalid`` lands beside its input; its kind and bounds come from the schema of ``--check-config``
(``config.load.SCHEMA``), so nothing about a key is said twice. A save is an ``Edit`` of the document the page was
drawn from: only what the user changed, so it can be laid on a newer document when someone else saved first.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from multidict import MultiMapping

from ..config import schema as s
from ..config.common import hhmm
from ..config.followup import DEFAULT_TEMPLATES
from ..config.load import SCHEMA
from ..config.schema import undotted
from ..config.working_days import WEEKDAYS, WEEKDAYS_VI
from ..service_day import service_day, system_clock

MISSING = object()
SPLIT = re.compile(r"[,;\n]+")
PAIR = re.compile(r"\s*([^=:\s]+)\s*[=:]\s*(\S.*?)\s*")
Path = tuple
Form = MultiMapping[Any]         # a posted form: a name given several times (ids ticked) has several values


def schema_at(path: Path) -> s.Field | None:
    """The schema's field for a key path, or None where the schema has none."""
    f: s.Field | None = SCHEMA
    for step in path:
        if isinstance(f, s.Map) and isinstance(step, str):
            f = f.fields.get(step)
        elif isinstance(f, s.List):
            f = f.item
        elif isinstance(f, s.Dict):
            f = f.value
        else:
            return None
    return f


def kind_of(f: s.Field | None) -> str:
    """How a key is typed in: a box, a number, a check box, a choice, a list of words or of pairs."""
    if isinstance(f, s.Bool):
        return "bool"
    if isinstance(f, (s.Int, s.Num)):
        return "number"
    if isinstance(f, s.Str):
        return "choice" if f.choices else "long" if f.pattern is None and 200 < f.max_len < 1000 else "text"
    if isinstance(f, s.List):
        return "words"
    return "pairs" if isinstance(f, s.Dict) else "text"


def get(document: Any, path: Path) -> Any:
    """The value at ``path``, or MISSING where the document has none (a page drawn for a section not yet written)."""
    for step in path:
        if isinstance(step, int) and isinstance(document, list) and step < len(document):
            document = document[step]
        elif isinstance(step, str) and isinstance(document, dict) and step in document:
            document = document[step]
        else:
            return MISSING
    return document


def put(document: dict | list, path: Path, value: Any) -> None:
    """Set ``path`` (MISSING removes it), making the mappings on the way."""
    for step in path[:-1]:
        nxt = document[step] if isinstance(document, list) else document.get(step)
        if not isinstance(nxt, (dict, list)):
            nxt = document[step] = {}
        document = nxt
    if value is MISSING:
        if isinstance(document, dict):
            document.pop(path[-1], None)
    else:
        document[path[-1]] = value


def effective(document: Any, path: Path) -> Any:
    """The value a key has, its schema's default when the file leaves it out; None for none."""
    value = get(document, path)
    if value is MISSING:
        default = getattr(schema_at(path), "default", s.MISSING)
        return None if default is s.MISSING else default
    return value


def same(a: Any, b: Any) -> bool:
    """Equal as JSON sees them: a keypad address 5 and the "5" it became on the wire are one."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


# --- the sections -------------------------------------------------------------------------------------

Keys = Callable[[dict], list[tuple[Path, str, str]]]     # an entry -> (relative path, label key, note)
Choices = Callable[[dict], list[tuple[str, str]]]        # the document -> (value, text shown)


def _ids(section: str) -> Choices:
    def choices(document: dict) -> list[tuple[str, str]]:
        found = document.get(section)
        entries: list = found if isinstance(found, list) else []
        return [(str(e.get("id")), f"{e.get('id')} — {(e.get('name') or {}).get('vi', '')}".rstrip(" —"))
                for e in entries if isinstance(e, dict)]
    return choices


def _fixed(*rel: tuple[str, str]) -> Keys:
    keys = [(undotted(p), label, "") for p, label in rel]
    return lambda entry: keys


def _ports(entry: dict) -> list[tuple[Path, str, str]]:
    found = entry.get("ports")
    ports: list = found if isinstance(found, list) else []
    return [(("ports", j, "keypads"), "set_keypads", str(p.get("device", ""))) for j, p in enumerate(ports)]


def _sms(entry: dict) -> list[tuple[Path, str, str]]:
    rel = [(undotted(k), f"set_sms_{k}", "") for k in ("centre", "centre_phone", "quiet_hours", "per_phone_daily",
                                                     "answers_daily", "follow_daily", "turn_near", "unicode")]
    return rel + [(("templates", name), "set_template", name) for name in DEFAULT_TEMPLATES]


@dataclass(frozen=True)
class Section:
    """One settings page: ``root`` is a mapping of the document, or with ``listed`` a list of entries each keyed by
    ``key`` (added with a blank row and removed with a check box when ``grows``)."""
    slug: str
    root: Path
    keys: Keys
    listed: bool = False
    grows: bool = False
    key: str = "id"
    picks: dict[Path, Choices] = field(default_factory=dict)
    needs: Path | None = None        # a section of the document without which this page has nothing to edit
    today: tuple[Path, ...] = ()     # date keys shown as a "today" check box that holds the mapping around them


SECTIONS = {x.slug: x for x in (
    Section("centre", ("site",), _fixed(("name", "set_site_name"), ("ticket_footer", "set_ticket_footer"),
                                        ("per_person_daily", "set_site_per_person"))),
    Section("services", ("services",), _fixed(
        ("id", "set_id"), ("name.vi", "set_name_vi"), ("name.en", "set_name_en"), ("prefix", "set_prefix"),
        ("first", "set_first"), ("last", "set_last_no"), ("hours", "set_hours"), ("daily_limit", "set_daily_limit"),
        ("per_person_daily", "set_per_person"), ("remote", "set_remote"),
        ("remote_daily_limit", "set_remote_limit"), ("closed.date", "set_closed_today"),
        ("closed.reason.vi", "set_closed_reason_vi"), ("closed.reason.en", "set_closed_reason_en")),
            listed=True, grows=True, today=(("closed", "date"),)),
    Section("counters", ("counters",), _fixed(("id", "set_id"), ("name.vi", "set_name_vi"),
                                              ("name.en", "set_name_en"), ("services", "services")),
            listed=True, grows=True, picks={("services",): _ids("services")}),
    Section("priority", ("priority",), _fixed(("mode", "set_mode"), ("ratio", "set_ratio"), ("age", "set_age"))),
    Section("kiosks", ("kiosks",), _fixed(("large_mode", "set_large_mode"), ("speech.enabled", "set_speech"),
                                          ("idle_reset_s", "set_idle_reset"), ("dossier_lookup", "set_lookup"),
                                          ("ticket_sms_line", "set_sms_line")), listed=True),
    Section("displays", ("displays",), _fixed(
        ("id", "set_id"), ("counters", "counters"), ("notice", "set_notice"), ("last_calls", "set_last_calls"),
        ("voice.enabled", "set_voice_on"), ("voice.phrase", "set_phrase"), ("voice.repeat", "set_repeat")),
            listed=True, grows=True, picks={("counters",): _ids("counters")}),
    Section("keypads", ("bridges",), _ports, listed=True),
    Section("calendar", ("calendar",), _fixed(("working_days", "set_working_days"), ("holidays", "set_holidays")),
            picks={("working_days",): lambda d: [(w, f"{vi} / {w}") for w, vi in zip(WEEKDAYS, WEEKDAYS_VI,
                                                                                       strict=True)]}),
    Section("sessions", ("calendar", "sessions"), _fixed(("date", "set_date"), ("hours", "set_hours"),
                                                         ("services", "services")),
            listed=True, grows=True, key="date", picks={("services",): _ids("services")}),
    Section("sms", ("followup", "sms"), _sms, needs=("followup",)),
)}


# --- inputs ------------------------------------------------------------------------------------------

@dataclass
class Input:
    """One input of a page, named by its key path; ``value`` is the text shown (``picked`` for choices)."""
    path: Path
    label: str
    note: str
    kind: str
    schema: s.Field | None
    value: str = ""
    checked: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    picked: set = field(default_factory=set)
    placeholder: str = ""
    problems: list[str] = field(default_factory=list)
    theirs: bool = False             # changed by someone else since the user's page was drawn

    @property
    def name(self) -> str:
        return s.dotted(self.path)


@dataclass
class Group:
    """A box of inputs: the section's mapping, or one entry of its list (``path`` ends with its index)."""
    path: Path
    inputs: list[Input]
    title: str = ""
    new: bool = False
    removed: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return s.dotted(self.path)


def shown(kind: str, value: Any) -> str:
    """A value as its input shows it: hours and ids as a list with commas, keypads as ``5 = 1`` lines."""
    if value is None or value is MISSING:
        return ""
    if kind == "words" and isinstance(value, list):
        return ", ".join(map(str, value))
    if kind == "pairs" and isinstance(value, dict):
        return "\n".join(f"{k} = {v}" for k, v in value.items())
    return str(value)


def today_of(document: dict) -> str:
    """The site's service day now (``2026-12-07``), as the hub names it: what a "today" check box sets."""
    site = document.get("site")
    site = site if isinstance(site, dict) else {}
    try:
        return service_day(system_clock(), ZoneInfo(str(site.get("timezone"))),
                           hhmm(str(site.get("day_starts_at", "00:00")))).isoformat()
    except (ValueError, KeyError):   # a document the hub would refuse anyway: the date of the machine's clock
        return system_clock().date().isoformat()


def _input(section: Section, document: dict, entry_path: Path, rel: Path, label: str, note: str,
           typed: Form | None) -> Input:
    path = entry_path + rel
    f = schema_at(path)
    kind = "pick" if rel in section.picks else "today" if rel in section.today else kind_of(f)
    if kind == "today":              # ticked: closed on the date shown beside it, the service day now
        note = today_of(document)
    i = Input(path, label, note, kind, f, choices=section.picks[rel](document) if kind == "pick" else [],
              placeholder=DEFAULT_TEMPLATES.get(note, "") if label == "set_template" else "")
    value = effective(document, path)
    if typed is not None:
        i.value, i.checked = str(typed.get(i.name, "")), i.name in typed
        i.picked = set(typed.getall(i.name, [])) if kind == "pick" else set()
    else:
        i.value, i.checked = shown(kind, value), value is True or (kind == "today" and value == note)
        i.picked = {str(v) for v in value} if kind == "pick" and isinstance(value, list) else set()
    if kind == "today":
        i.value = "on" if i.checked else ""
    return i


def groups(section: Section, document: dict, typed: Form | None = None) -> list[Group]:
    """The page's boxes for ``document``; ``typed`` (a posted form) puts back what the user typed."""
    root = get(document, section.root)
    if not section.listed:
        entry = root if isinstance(root, dict) else {}
        return [Group(section.root, [_input(section, document, section.root, rel, label, note, typed)
                                     for rel, label, note in section.keys(entry)])]
    entries = root if isinstance(root, list) else []
    out = []
    for i, entry in enumerate([*entries, {}] if section.grows else entries):
        path = (*section.root, i)
        g = Group(path, [_input(section, document, path, rel, label, note, typed)
                         for rel, label, note in section.keys(entry if isinstance(entry, dict) else {})],
                  title=str(entry.get(section.key, "")) if isinstance(entry, dict) else "", new=i == len(entries))
        g.removed = typed is not None and f"{g.name}.remove" in typed
        out.append(g)
    return out


# --- a posted form, back to a document -----------------------------------------------------------------

def typed_value(i: Input, form: Form) -> Any:
    """What the user typed as the document's value: text that is not a number stays text, so the hub's check says
    so beside it; an empty optional box leaves the key out (its default)."""
    raw = str(form.get(i.name, "")).strip()
    if i.kind == "bool":
        return i.name in form
    if i.kind == "today":
        return i.note if raw else MISSING
    if i.kind == "pick":
        allowed = {v for v, _ in i.choices}
        return [v for v in form.getall(i.name, []) if v in allowed]
    if i.kind == "words":           # an empty box of an optional list leaves the key out, as a file without it
        words = [w.strip() for w in SPLIT.split(raw) if w.strip()]
        return words if words or i.schema is None or not i.schema.optional else MISSING
    if i.kind == "pairs":
        return dict(_pair(line) for line in raw.splitlines() if line.strip())
    if raw == "":
        return MISSING if i.schema is not None and i.schema.optional else ""
    return _number(raw) if i.kind == "number" else raw


def _pair(line: str) -> tuple[Any, Any]:
    m = PAIR.fullmatch(line)
    if m is None:
        return line.strip(), None
    k = m.group(1)
    return (int(k) if k.isdigit() else k), m.group(2)


def _number(raw: str) -> Any:
    try:
        return int(raw)
    except ValueError:
        try:
            return float(raw)
        except ValueError:
            return raw


@dataclass
class Edit:
    """What a user changed on a page, relative to the document it was drawn from: new values by key path, one
    new entry, and entries removed (by their key, so the edit can be laid on a newer document)."""
    section: Section
    sets: dict[Path, Any] = field(default_factory=dict)
    added: dict | None = None
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sets or self.added is not None or self.removed)


def read_form(section: Section, base: dict, form: Form) -> Edit:
    """The ``Edit`` a posted page makes of ``base``, the document the page was drawn from."""
    edit = Edit(section)
    for g in groups(section, base):
        if g.new:
            edit.added = _new_entry(section, g, form)
            continue
        if section.listed and f"{g.name}.remove" in form:
            edit.removed.append(str(get(base, (*g.path, section.key))))
            continue
        off = _unticked(g, form)
        for prefix in off:           # unticked today: its mapping goes (an older day's is left, it holds no more)
            if any(i.kind == "today" and i.path[:-1] == prefix and effective(base, i.path) == i.note
                   for i in g.inputs):
                edit.sets[prefix] = MISSING
        for i in (i for i in g.inputs if not _under(i.path, off)):
            value = typed_value(i, form)
            if not unchanged(i, value, effective(base, i.path)):
                edit.sets[i.path] = value
    return edit


def unchanged(i: Input, value: Any, before: Any) -> bool:
    """The same value as before: a left-out key is its default, and the ids ticked are a set (the boxes' order is
    the page's, not the file's)."""
    if value is MISSING:
        value = effective({}, i.path)
    if i.kind == "pick" and isinstance(before, list):
        return sorted(map(str, value)) == sorted(map(str, before))
    return same(value, before)


def _unticked(g: Group, form: Form) -> list[Path]:
    """The mappings held by a "today" check box left unticked: nothing typed under them counts."""
    return [i.path[:-1] for i in g.inputs if i.kind == "today" and typed_value(i, form) is MISSING]


def _under(path: Path, prefixes: list[Path]) -> bool:
    return any(path[:len(p)] == p for p in prefixes)


def _new_entry(section: Section, g: Group, form: Form) -> dict | None:
    if not str(form.get(f"{g.name}.{section.key}", "")).strip():
        return None
    entry: dict = {}
    off = _unticked(g, form)
    for i in (i for i in g.inputs if not _under(i.path, off)):
        value = typed_value(i, form)
        if value is not MISSING and (i.schema is None or not i.schema.optional
                                        or not unchanged(i, value, effective({}, i.path))):
            put(entry, i.path[len(g.path):], value)
    return entry


def apply(edit: Edit, onto: dict, base: dict) -> tuple[dict, list]:
    """``onto`` with the edit laid on it, and where each entry of the section's list came from (its index in the
    page's form, for the problems): the edit's entries are found in ``onto`` by their key."""
    section, out = edit.section, copy.deepcopy(onto)
    where = _index_map(section, base, out)
    for path, value in edit.sets.items():
        target = _moved(section, path, where)
        if target is not None:           # MISSING (a key removed) stays itself: a copy of it would be a value
            put(out, target, value if value is MISSING else copy.deepcopy(value))
    if edit.added is not None and not isinstance(get(out, section.root), list):
        put(out, section.root, [])
    entries = get(out, section.root)
    if not isinstance(entries, list):
        return out, []
    origin: list = list(range(len(entries)))
    if edit.added is not None:
        entries.append(copy.deepcopy(edit.added))
        origin.append("new")
    keep = [k for k, e in enumerate(entries) if str(e.get(section.key) if isinstance(e, dict) else "")
            not in edit.removed or origin[k] == "new"]
    entries[:] = [entries[k] for k in keep]
    return out, [origin[k] for k in keep]


def mark_theirs(section: Section, page: list[Group], base: dict, current: dict) -> None:
    """Flag the inputs whose value someone else changed between ``base`` and ``current`` (the page shows
    ``current``'s entries): what a user saving second should look at before saving again."""
    back = {k: b for b, k in _index_map(section, base, current).items()}
    n = len(section.root)
    for i in (i for g in page if not g.new for i in g.inputs):
        was = i.path if not section.listed else (*i.path[:n], back.get(i.path[n], "new"), *i.path[n + 1:])
        i.theirs = not same(effective(base, was), effective(current, i.path))


def _index_map(section: Section, base: dict, onto: dict) -> dict[int, int]:
    """Index of each of ``base``'s entries in ``onto``, by key."""
    if not section.listed:
        return {}
    old, new = get(base, section.root), get(onto, section.root)
    keys = {str(e.get(section.key)): k for k, e in enumerate(new if isinstance(new, list) else [])
            if isinstance(e, dict)}
    return {k: keys[str(e.get(section.key))] for k, e in enumerate(old if isinstance(old, list) else [])
            if isinstance(e, dict) and str(e.get(section.key)) in keys}


def _moved(section: Section, path: Path, where: dict[int, int]) -> Path | None:
    if not section.listed:
        return path
    n = len(section.root)
    k = where.get(path[n])
    return None if k is None else (*path[:n], k, *path[n + 1:])


# --- the hub's problems, beside their inputs -------------------------------------------------------------

def place(problems: list[str], page: list[Group], section: Section, origin: list) -> list[str]:
    """Put each ``key.path: message`` of the hub beside its input (or on its entry's box); what has no place on
    this page is returned, for the top of it."""
    inputs = {i.name: i for g in page for i in g.inputs}
    boxes = {g.name: g for g in page}
    new_at = next((g.path[-1] for g in page if g.new), None)
    loose = []
    for line in problems:
        where, _, message = line.partition(": ")
        path = _to_form(undotted(where), section, origin, new_at) if message else ()
        spot = _nearest(path, inputs) or _nearest(path, boxes)
        if spot is None:
            loose.append(line)
        else:
            spot.problems.append(message)
    return loose


def _to_form(path: Path, section: Section, origin: list, new_at: int | None) -> Path:
    n = len(section.root)
    if not section.listed or path[:n] != section.root or len(path) <= n or not isinstance(path[n], int):
        return path
    k = path[n]
    was = origin[k] if k < len(origin) else k
    return (*path[:n], new_at if was == "new" else was, *path[n + 1:])


def _nearest(path: Path, named: dict) -> Any:
    while path:
        hit = named.get(s.dotted(path))
        if hit is not None:
            return hit
        path = path[:-1]
    return None
