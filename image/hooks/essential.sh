#!/bin/sh
# mmdebstrap --essential-hook: $1 the new root, $2 the architecture. Runs before the kernel and firmware
# packages are installed, so that their own hooks find these settings.
set -eu
ROOT="$1" ARCH="$2"
# /vmlinuz and /initrd.img follow every kernel upgrade: the boot loader's entry never has to change
echo "do_symlinks = yes" > "$ROOT/etc/kernel-img.conf"
if [ "$ARCH" = arm64 ]; then
  # Debian's raspi-firmware writes cmdline.txt and config.txt to /boot/firmware from these
  mkdir -p "$ROOT/etc/default" "$ROOT/boot/firmware"
  printf 'ROOTPART=LABEL=motcua-root\nCONSOLES="ttyS1,115200 tty0"\n' > "$ROOT/etc/default/raspi-firmware"
  echo "consoleblank=0 quiet" > "$ROOT/etc/default/raspi-extra-cmdline"
fi
