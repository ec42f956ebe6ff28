"""The site configuration (SPEC section 2): one YAML file for every process on every board.

In Mopidy's manner: a typed schema with bounds (``schema``), one module per part of the hall that
defines its section's types and schema (``site`` for the queue, ``kiosk``, ``display``, ``bridge``,
``followup``, ``console``), what they share (``common``: id and time patterns, a window, a broker),
and ``load``, which reads a file into a ``SiteConfig`` and reports every problem at once.
Processes import what they need from here.
"""
from .bridge import Bridge, Port
from .common import Broker, Names, Window
from .console import Console, User
from .display import Display, Voice
from .followup import Followup
from .hall import Closure, Counter, DossierPull, Hub, Mqtt, Service, Site, SiteConfig, Tls
from .kiosk import Kiosk, Printer
from .load import ConfigError, check_config_main, load

__all__ = ["Bridge", "Broker", "Closure", "ConfigError", "Console", "Counter", "Display", "DossierPull", "Followup",
           "Hub", "Kiosk", "Mqtt", "Names", "Port", "Printer", "Service", "Site", "SiteConfig", "Tls", "User", "Voice",
           "Window", "check_config_main", "load"]
