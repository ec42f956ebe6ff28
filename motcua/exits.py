"""The exit codes systemd's units tell apart (``RestartPreventExitStatus``)."""

EX_CONFIG = 78        # broker credentials refused: systemd must not restart in a loop
EX_USAGE_CONFIG = 2   # the config file is wrong
EX_MAINTENANCE = 3    # a technician left the kiosk with the PIN: systemd must not start it again
