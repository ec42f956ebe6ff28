"""The broker's ACL, generated from the site file: one MQTT user per process, each allowed exactly
what its part of SPEC section 4 needs (``python -m motcua.hub --config FILE --mosquitto-acl``).

Usernames are the component names: ``hub``, ``kiosk-<id>``, ``display-<id>``, ``bridge-<id>``,
``followup``, ``console``; each reads only its own replies under ``<R>/reply/<username>/``.
"""
from __future__ import annotations

from .config import SiteConfig
from .contract import ANY, Topics, component_name


def users(cfg: SiteConfig) -> list[str]:
    """Every broker user the site file implies, one per process (hub, each kiosk, display and bridge, the follow-up and
    console when configured): the names the password file and the ACL must both hold."""
    return (["hub"] + [component_name("kiosk", k.id) for k in cfg.kiosks]
            + [component_name("display", d.id) for d in cfg.displays]
            + [component_name("bridge", b.id) for b in cfg.bridges] + (["followup"] if cfg.followup else [])
            + (["console"] if cfg.console else []))


def acl(cfg: SiteConfig) -> str:
    """The mosquitto ACL text for this site: each process may read and write only its own topics, so a stolen kiosk
    password cannot call a counter or forge the hub. Printed by ``--mosquitto-acl``; regenerate it whenever the site
    file changes."""
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    # the hub's own health request and its answer (SPEC 10.1) lie within its r/#; named, so that
    # narrowing what the hub may touch can never starve its watchdog
    blocks = [("hub", [f"topic readwrite {t.everything}", f"topic readwrite {t.hub_health}",
                       f"topic readwrite {t.hub_health_reply}"])]
    for k in cfg.kiosks:
        me = component_name("kiosk", k.id)
        blocks.append((me, [*_write(t.issue, t.confirm, t.void, t.lookup),
                            *_read(t.service_state(ANY), t.counter_state(ANY), t.status("hub"), t.replies(me)),
                            *_write(t.status(me), t.status(f"{me}-screenshot"), t.status(f"{me}-sound"),
                                    t.printer(k.id))]))
    for d in cfg.displays:
        me = component_name("display", d.id)
        blocks.append((me, [*_read(t.counter_state(ANY), t.service_state(ANY), t.call, t.calls_recent,
                                   t.status("hub")),
                            *_write(t.status(me), t.status(f"{me}-screenshot"))]))
    for b in cfg.bridges:
        me = component_name("bridge", b.id)
        lines = [*_read(t.replies(me), t.status("hub")), *_write(t.status(me))]
        for c in b.counters:
            lines += [*_write(t.counter_command(c), t.counter_rating(c)), *_read(t.counter_state(c)),
                      *_write(t.status(component_name("keypad", c)))]
        blocks.append((me, lines))
    if cfg.followup:        # the dossier store from disk; on the broker, numbers by SMS and the turns it follows
        blocks.append(("followup", [*_write(t.status("followup"), t.status("smsd"), t.issue),
                                    *_read(t.status("hub"), t.replies("followup"), t.call, t.calls_recent,
                                           t.service_state(ANY), t.counter_state(ANY))]))
    if cfg.console:         # reads the whole hall; acts only as a keypad would, enters extensions, edits the site file
        blocks.append(("console", [*_read(t.everything),
                                   *_write(t.counter_command(ANY), t.counter_rating(ANY), t.extend,
                                           t.config_set, t.config_history, t.status("console"),
                                           t.config_status("console"))]))
    for user, lines in blocks[1:]:  # every process takes the site document from the hub and says which it runs on
        if user != "console":
            lines += [*_read(t.config), *_write(t.config_status(user))]
        lines += _write(t.seen(user))   # what it saw of today's queue, for a hub restored from a copy (SPEC 14)
    out = [f"# motcua ACL for site {cfg.site.id}, generated from {cfg.path}; do not edit by hand", ""]
    for user, lines in blocks:
        out += [f"user {user}", *lines, ""]
    return "\n".join(out)


def _read(*topics: str) -> list[str]:
    return [f"topic read {topic}" for topic in topics]


def _write(*topics: str) -> list[str]:
    return [f"topic write {topic}" for topic in topics]
