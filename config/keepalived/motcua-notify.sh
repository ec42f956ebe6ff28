#!/bin/sh
# keepalived's notify script for the hub's address (SPEC 14): called as
#   motcua-notify.sh INSTANCE|GROUP NAME MASTER|BACKUP|FAULT|STOP PRIORITY
# MASTER: this board becomes the hub: the standby stops, the newest copy is taken over (the hub then
# hears the hall before it answers), the broker, the hub and its replica start.
# BACKUP, FAULT, STOP: this board is not the hub: its hub and replica stop at once (never two hubs),
# and it keeps a copy as the standby.
# MOTCUA_* variables may be set in /etc/default/motcua-keepalived (a test's boards set them too).
set -u
[ -r /etc/default/motcua-keepalived ] && . /etc/default/motcua-keepalived
PY=${MOTCUA_PYTHON:-/opt/motcua/.venv/bin/python}
CONFIG=${MOTCUA_CONFIG:-/etc/motcua/motcua.yaml}
FROM=${MOTCUA_REPLICA_FROM:-/var/lib/motcua/replica}
START=${MOTCUA_START:-systemctl start --no-block mosquitto motcua-hub motcua-replica}
STOP=${MOTCUA_STOP:-systemctl stop motcua-hub motcua-replica}
STANDBY_START=${MOTCUA_STANDBY_START:-systemctl start --no-block motcua-standby}
STANDBY_STOP=${MOTCUA_STANDBY_STOP:-systemctl stop motcua-standby}
AS=${MOTCUA_AS-runuser -u motcua-hub --}   # empty: as whoever runs keepalived (a test)

say() { logger -t motcua-notify "$*" 2>/dev/null; echo "motcua-notify: $*" >&2; }

case "${3:-}" in
MASTER)
    say "MASTER: this board becomes the hub"
    $STANDBY_STOP
    $AS "$PY" -m motcua.hub --config "$CONFIG" --take-over --from "$FROM" || say "take-over failed: $?"
    $START
    ;;
BACKUP|FAULT|STOP)
    say "$3: this board is not the hub"
    $STOP
    [ "$3" = STOP ] || $STANDBY_START
    ;;
*)
    say "unknown state: $*"
    ;;
esac
exit 0
