"""This hall's mosquitto bridged out to the province's broker (SPEC section 13), generated from the
site file: ``python -m motcua.hub --config FILE --mosquitto-bridge``.

Only state and events go out (counter and service state, statuses, calls, the day's figures),
never requests or replies; at QoS 1 with a persistent session, so an outage loses nothing; TLS
with the province's CA; the bridge's notifications moved from ``$SYS`` (outside the hall's ACL at
the province) to ``<R>/status/province-link``: ``1`` while linked, and ``0`` from the province's
broker as the bridge's last will, so the province sees a hall cut off at once; the client id from
the site id; a bounded restart so the link is back well
within 30 s. Mosquitto cannot read a password file for a bridge: the section carries the
password, and its file must be readable by root only.
"""
from __future__ import annotations

from pathlib import Path

from .config import SiteConfig
from .contract import PROVINCE_LINK, Topics


def bridge_section(cfg: SiteConfig) -> str:
    """The mosquitto.conf section that bridges this hall to the province's broker, only the topics the province needs
    going out. It holds the bridge's password, so it is printed for root to install, never written; ValueError when
    ``mqtt.bridge`` is missing or its password file cannot be read."""
    link = cfg.mqtt.bridge
    if link is None:
        raise ValueError("mqtt.bridge is not in the site file: it names the province's broker")
    try:
        password = Path(link.password_file).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ValueError(f"cannot read mqtt.bridge.password_file: {e}") from None
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    return "\n".join([
        f"# motcua: hall {cfg.site.id} bridged to the province, generated from {cfg.path}; do not edit by hand.",
        "# It holds the bridge's password: keep this file readable by root only (chmod 600).",
        f"connection motcua-{cfg.site.id}",
        f"address {link.host}:{link.port}",
        "bridge_protocol_version mqttv311",
        "try_private false",
        f"remote_clientid motcua-hall-{cfg.site.id}",
        f"remote_username {link.username}",
        f"remote_password {password}",
        f"bridge_cafile {link.ca_file}",
        "cleansession false",
        "notifications true",
        f"notification_topic {t.status(PROVINCE_LINK)}",
        "notifications_local_only false",
        "start_type automatic",
        "restart_timeout 1 10",
        *(f"topic {topic} out 1" for topic in t.to_province),
        ""])
