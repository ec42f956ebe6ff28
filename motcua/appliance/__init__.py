"""The appliance: a board set up at first boot from ``motcua-setup.yaml`` on its boot partition
(SPEC section 14, docs/image.md). ``python -m motcua.appliance`` is motcua-firstboot.service;
``motcua.appliance.screen`` starts the kiosk or the wall screen full screen under cage.

It lives in ``motcua`` (not in image/) because it runs on the board from the project's venv, reads the
site file with ``motcua.config`` and validates with ``motcua.config.schema`` like every other process.
"""
