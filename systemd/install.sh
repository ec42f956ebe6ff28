#!/usr/bin/env bash
# Turn a board into a hub (and, beside it, the follow-up), a kiosk, a wall screen or a keypad bridge. Idempotent: run it again to
# update; it never overwrites the site file or a password that exists.
#
#   make install ROLE=hub
#   make install ROLE=followup              (on the hub's board: it reads the hub's dossier store)
#   make install ROLE=console               (on the hub's board: it reads the hub's databases)
#   make install ROLE=display ID=hall       (kiosk and bridge likewise, with their ids)
#
# MOTCUA_ROOT=/some/dir stages everything under that directory and skips apt, users and systemctl
# (the project's tests use it).
set -euo pipefail
ROLE="${1:?usage: install.sh hub|followup|console|kiosk|display|bridge [ID]}"
ID="${2:-}"
ROOT="${MOTCUA_ROOT:-}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
OPT="$ROOT/opt/motcua" ETC="$ROOT/etc/motcua" UNITS="$ROOT/etc/systemd/system"
case "$ROLE" in
  hub) UNIT=motcua-hub.service; UNIT_FILE=$UNIT; USER_NAME=hub ;;
  followup) UNIT=motcua-followup.service; UNIT_FILE=$UNIT; USER_NAME=followup ;;
  console) UNIT=motcua-console.service; UNIT_FILE=$UNIT; USER_NAME=console ;;
  kiosk|display|bridge) [ -n "$ID" ] || { echo "ROLE=$ROLE needs ID=<its id in the site file>" >&2; exit 2; }
       UNIT="motcua-$ROLE@$ID.service"; UNIT_FILE="motcua-$ROLE@.service"; USER_NAME="$ROLE-$ID" ;;
  *) echo "unknown role $ROLE (hub, followup, console, kiosk, display, bridge)" >&2; exit 2 ;;
esac
staged() { [ -n "$ROOT" ]; }
say() { echo "motcua install ($ROLE${ID:+ $ID}): $*"; }

if ! staged; then
  pkgs=(python3-venv python3-pip fonts-dejavu-core)
  case "$ROLE" in
    hub) pkgs+=(mosquitto mosquitto-clients) ;;
    followup) pkgs+=(gammu gammu-smsd fonts-liberation2) ;;   # the modem's daemon, the letters' font
    display) pkgs+=(espeak-ng alsa-utils) ;;
    kiosk) pkgs+=(libmtdev1) ;;          # touch screens (Kivy's mtdev input)
  esac
  say "apt: ${pkgs[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  id motcua >/dev/null 2>&1 || useradd --system --home-dir /var/lib/motcua --shell /usr/sbin/nologin motcua
fi

say "code in $OPT"
mkdir -p "$OPT" "$ETC/secrets" "$UNITS"
if [ "$SRC" != "$OPT" ]; then
  (cd "$SRC" && tar --exclude=.venv --exclude=.git --exclude=demo-out -cf - .) | (cd "$OPT" && tar -xf -)
fi
if ! staged; then
  [ -x "$OPT/.venv/bin/python" ] || python3 -m venv "$OPT/.venv"
  "$OPT/.venv/bin/python" -m pip install -q -e "$OPT"
fi

if [ ! -f "$ETC/motcua.yaml" ]; then
  say "site file $ETC/motcua.yaml from the example: edit it"
  cp "$SRC/config/example.yaml" "$ETC/motcua.yaml"
fi
secret() {   # secret USER: its password file, made once
  local f="$ETC/secrets/$1.password"
  [ -f "$f" ] || { head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$f"; chmod 0640 "$f"; }
  staged || chgrp motcua "$f"
}
secret "$USER_NAME"

if [ "$ROLE" = hub ]; then
  PY="${MOTCUA_PYTHON:-$OPT/.venv/bin/python}"
  mkdir -p "$ROOT/etc/mosquitto/conf.d"
  cp "$SRC/config/mosquitto/motcua.conf" "$ROOT/etc/mosquitto/conf.d/motcua.conf"
  "$PY" -m motcua.hub --config "$ETC/motcua.yaml" --mosquitto-acl > "$ROOT/etc/mosquitto/motcua.acl"
  : > "$ROOT/etc/mosquitto/motcua.passwd.new"
  for user in $("$PY" -c "import sys; from motcua import acl, config; print(' '.join(acl.users(config.load(sys.argv[1]))))" "$ETC/motcua.yaml"); do
    secret "$user"
    mosquitto_passwd -b "$ROOT/etc/mosquitto/motcua.passwd.new" "$user" "$(cat "$ETC/secrets/$user.password")"
  done
  mv "$ROOT/etc/mosquitto/motcua.passwd.new" "$ROOT/etc/mosquitto/motcua.passwd"
  say "broker: ACL and passwords for every process of the site; copy each board's secrets/<user>.password to it"
fi

cp "$SRC/systemd/$UNIT_FILE" "$UNITS/"
if ! staged && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  [ "$ROLE" = hub ] && systemctl restart mosquitto
  systemctl enable --now "$UNIT"
  say "running: systemctl status $UNIT; journalctl -u $UNIT -f"
else
  say "unit installed: $UNITS ($UNIT)"
fi
