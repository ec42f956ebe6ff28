#!/usr/bin/env bash
# mmdebstrap --customize-hook: $1 the new root, $2 the architecture, $3 this project, $4 a pip cache kept
# between builds. The project goes in through systemd/install.sh, as on any board; the image's own files
# (first boot, screens under cage, journald, network, boot loader) come from image/files.
set -euo pipefail
ROOT="$1" ARCH="$2" SRC="$3" PIPCACHE="$4"
FILES="$SRC/image/files"
say() { echo "motcua image ($ARCH): $*"; }
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }

say "the project, through systemd/install.sh"
mkdir -p "$ROOT/tmp/motcua-src" "$ROOT/root/.cache/pip"
(cd "$SRC" && tar --exclude=./.venv --exclude=./.git --exclude=__pycache__ \
   --exclude='*.egg-info' --exclude=.pytest_cache --exclude=.hypothesis --exclude=.ruff_cache --exclude=./demo-out \
   -cf - .) | tar -C "$ROOT/tmp/motcua-src" -xf -
mount --bind "$PIPCACHE" "$ROOT/root/.cache/pip"
trap 'umount "$ROOT/root/.cache/pip" 2>/dev/null || true' EXIT
# pip trusts what this build machine trusts (a machine behind a TLS-inspecting proxy has its own CA), for this
# build only: the image keeps Debian's own certificates
cp "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$ROOT/tmp/build-ca.crt"
# The follow-up is the one role whose install makes no secret (the hub's makes the broker's passwords, the
# console's its cookie key): it brings the code, the venv from PyPI and the compiled files. Each board's
# own roles are installed at its first boot (motcua-firstboot), with passwords of its own.
in_root MOTCUA_NO_APT=1 PIP_CERT=/tmp/build-ca.crt bash /tmp/motcua-src/systemd/install.sh followup
# the hub's extra (Litestream) too, remembered as install.sh does: a board's first boot has no PyPI to reach
in_root env PIP_CERT=/tmp/build-ca.crt /opt/motcua/.venv/bin/python -m pip install -q -e "/opt/motcua[replica]"
echo "$(sha256sum < "$ROOT/opt/motcua/pyproject.toml")[replica]" >> "$ROOT/opt/motcua/.venv/.motcua-installed"
umount "$ROOT/root/.cache/pip"; trap - EXIT
rm -rf "$ROOT/tmp/motcua-src" "$ROOT/tmp/build-ca.crt" "$ROOT/root/.cache"

say "first boot, screens, journald, network, clock"
U="$ROOT/etc/systemd/system"
install -m 0644 "$FILES/motcua-firstboot.service" "$U/"
for unit in motcua-hub.service motcua-followup.service motcua-console.service motcua-kiosk@.service \
            motcua-display@.service motcua-bridge@.service; do
  mkdir -p "$U/$unit.d" && install -m 0644 "$FILES/after-firstboot.conf" "$U/$unit.d/"
done
for role in kiosk display; do
  install -m 0644 "$SRC/systemd/motcua-$role@.service.d/cage.conf" "$U/motcua-$role@.service.d/"
done
install -m 0644 "$FILES/pam-motcua-screen" "$ROOT/etc/pam.d/motcua-screen"
install -m 0644 "$FILES/mosquitto.conf" "$ROOT/etc/mosquitto/mosquitto.conf"
mkdir -p "$ROOT/etc/systemd/journald.conf.d" "$ROOT/var/log/journal" "$ROOT/etc/systemd/network" \
         "$U/systemd-networkd-wait-online.service.d"
install -m 0644 "$FILES/journald.conf" "$ROOT/etc/systemd/journald.conf.d/motcua.conf"
install -m 0644 "$FILES/80-motcua-dhcp.network" "$ROOT/etc/systemd/network/"
install -m 0644 "$FILES/wait-online.conf" "$U/systemd-networkd-wait-online.service.d/motcua.conf"
echo motcua > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tmotcua\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"
if [ "$ARCH" = amd64 ]; then BOOTDIR=/boot/efi; else BOOTDIR=/boot/firmware; fi
cat > "$ROOT/etc/fstab" <<FSTAB
LABEL=motcua-root  /           ext4  defaults,noatime,errors=remount-ro  0 1
LABEL=MOTCUA-BOOT  $BOOTDIR  vfat  defaults,umask=0077,flush  0 2
FSTAB
in_root systemctl enable motcua-firstboot.service systemd-networkd.service
# the board's roles decide these at first boot: a broker on the hub's board, the SMS daemon beside the follow-up
in_root systemctl disable mosquitto.service gammu-smsd.service

if [ "$ARCH" = amd64 ]; then
  say "GRUB on the EFI system partition (the removable path: no firmware entry to make)"
  mkdir -p "$ROOT/boot/efi/EFI/BOOT"
  install -m 0644 "$FILES/grub.cfg" "$ROOT/tmp/grub.cfg"
  in_root grub-mkstandalone -O x86_64-efi -o /boot/efi/EFI/BOOT/BOOTX64.EFI \
    --modules="part_gpt part_msdos fat ext2 search search_label linux normal configfile echo" \
    --locales= --themes= --fonts= "boot/grub/grub.cfg=/tmp/grub.cfg"
  rm "$ROOT/tmp/grub.cfg"
fi

say "nothing the same on two boards: machine id, random seed"
: > "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id" "$ROOT/var/lib/systemd/random-seed"
rm -rf "$ROOT/var/lib/apt/lists/"* "$ROOT/var/cache/apt/"*.bin
