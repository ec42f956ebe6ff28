"""python -m motcua.appliance: motcua-firstboot.service (see firstboot.py)."""
import sys

from .firstboot import main

sys.exit(main())
