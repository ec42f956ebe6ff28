"""The broker's ACL, generated from the site file: one MQTT user per process, each allowed exactly
what its part of SPEC section 4 needs (``python -m motcua.hub --config FILE --mosquitto-acl``).

Usernames are the component names: ``hub``, ``kiosk-<id>``, ``display-<id>``, ``bridge-<id>``,
``followup``, ``console``; each reads only its own replies under ``<R>/reply/<username>/``.
"""
from __future__ import annotations

from .config import SiteConfig


def users(cfg: SiteConfig) -> list[str]:
    return (["hub"] + [f"kiosk-{k.id}" for k in cfg.kiosks] + [f"display-{d.id}" for d in cfg.displays]
            + [f"bridge-{b.id}" for b in cfg.bridges] + (["followup"] if cfg.followup else [])
            + (["console"] if cfg.console else []))


def acl(cfg: SiteConfig) -> str:
    r = f"{cfg.mqtt.topic_root}/{cfg.site.id}"
    # the hub's own health request and its answer (SPEC 10.1) lie within its r/#; named, so that
    # narrowing what the hub may touch can never starve its watchdog
    blocks = [("hub", [f"topic readwrite {r}/#", f"topic readwrite {r}/hub/health",
                       f"topic readwrite {r}/reply/hub/health"])]
    for k in cfg.kiosks:
        me = f"kiosk-{k.id}"
        blocks.append((me, [f"topic write {r}/ticket/issue", f"topic write {r}/ticket/confirm",
                            f"topic write {r}/ticket/void", f"topic write {r}/dossier/lookup",
                            f"topic read {r}/service/+/state", f"topic read {r}/counter/+/state",
                            f"topic read {r}/status/hub", f"topic read {r}/reply/{me}/#",
                            f"topic write {r}/status/{me}", f"topic write {r}/status/{me}-screenshot",
                            f"topic write {r}/status/{me}-sound", f"topic write {r}/kiosk/{k.id}/printer"]))
    for d in cfg.displays:
        me = f"display-{d.id}"
        blocks.append((me, [f"topic read {r}/counter/+/state", f"topic read {r}/service/+/state",
                            f"topic read {r}/call", f"topic read {r}/calls/recent", f"topic read {r}/status/hub",
                            f"topic write {r}/status/{me}", f"topic write {r}/status/{me}-screenshot"]))
    for b in cfg.bridges:
        me = f"bridge-{b.id}"
        lines = [f"topic read {r}/reply/{me}/#", f"topic read {r}/status/hub", f"topic write {r}/status/{me}"]
        for c in b.counters:
            lines += [f"topic write {r}/counter/{c}/command", f"topic write {r}/counter/{c}/rating",
                      f"topic read {r}/counter/{c}/state", f"topic write {r}/status/keypad-{c}"]
        blocks.append((me, lines))
    if cfg.followup:        # it reads the dossier store from disk; on the broker it only says how it is
        blocks.append(("followup", [f"topic write {r}/status/followup", f"topic write {r}/status/smsd",
                                    f"topic read {r}/status/hub"]))
    if cfg.console:         # reads the whole hall; acts only as a keypad would, and enters extensions
        blocks.append(("console", [f"topic read {r}/#", f"topic write {r}/counter/+/command",
                                   f"topic write {r}/counter/+/rating", f"topic write {r}/dossier/extend",
                                   f"topic write {r}/status/console"]))
    out = [f"# motcua ACL for site {cfg.site.id}, generated from {cfg.path}; do not edit by hand", ""]
    for user, lines in blocks:
        out += [f"user {user}", *lines, ""]
    return "\n".join(out)
