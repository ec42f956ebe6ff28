#!/usr/bin/env bash
# make image [ARCH=amd64|arm64]: a bootable Debian 12 disk image of a motcua board, from Debian's own packages
# and this project (docs/image.md). As root, on Debian 12 with mmdebstrap, mtools, dosfstools and fdisk;
# arm64 on an x86 machine also needs qemu-user-static (binfmt_misc).
#
#   image/build.sh amd64 /var/tmp/motcua-image  ->  motcua-amd64.img there (a small PC: UEFI, GRUB, GPT)
#   image/build.sh arm64 /var/tmp/motcua-image  ->  motcua-arm64.img there (Raspberry Pi 4: raspi-firmware, MBR)
#
# mmdebstrap, not vmdb2: one apt run installs every package (vmdb2 runs debootstrap, then apt again, and needs
# loop devices and kpartx to write partitions); its hooks run our steps in the new root; and the disk is put
# together from files (mkfs.ext4 -d, mkfs.vfat + mcopy, sfdisk), so it builds in a container without /dev/loop.
#
# No password, key or machine id is made here: each board makes its own at first boot (motcua-firstboot).
set -euo pipefail
ARCH="${1:-amd64}"
# outside the project: systemd/install.sh copies the project's tree, and a disk image has no place in it
OUT="$(mkdir -p "${2:-/var/tmp/motcua-image}" && cd "${2:-/var/tmp/motcua-image}" && pwd)"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/.." && pwd)"
MIRROR="${MOTCUA_MIRROR:-http://deb.debian.org/debian}"
WORK="$OUT/work-$ARCH" ROOTFS="$OUT/work-$ARCH/root"
IMG="$OUT/motcua-$ARCH.img"
BOOT_MB=256 SLACK_MB="${MOTCUA_IMAGE_SLACK_MB:-1024}"
say() { echo "motcua image ($ARCH): $*"; }

case "$ARCH" in
  amd64) BOOTDIR=boot/efi; KERNEL=(linux-image-amd64 grub-efi-amd64-bin) ;;
  arm64) BOOTDIR=boot/firmware; KERNEL=(linux-image-arm64 raspi-firmware) ;;
  *) echo "ARCH must be amd64 or arm64" >&2; exit 2 ;;
esac
for tool in mmdebstrap mkfs.ext4 mkfs.vfat mcopy sfdisk; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install mmdebstrap e2fsprogs dosfstools mtools fdisk" >&2; exit 2; }
done
QEMU_ARCH=$([ "$ARCH" = arm64 ] && echo aarch64 || echo x86_64)
if [ "$ARCH" != "$(dpkg --print-architecture)" ] && ! arch-test "$ARCH" >/dev/null 2>&1 \
   && [ -f "/usr/lib/binfmt.d/qemu-$QEMU_ARCH.conf" ]; then   # no systemd-binfmt here (a container): register it
  [ -f /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || true
  grep -v '^#' "/usr/lib/binfmt.d/qemu-$QEMU_ARCH.conf" > /proc/sys/fs/binfmt_misc/register 2>/dev/null || true
fi
if [ "$ARCH" != "$(dpkg --print-architecture)" ] && ! arch-test "$ARCH" >/dev/null 2>&1; then
  echo "cannot run $ARCH programs here: apt-get install qemu-user-static binfmt-support" >&2; exit 2
fi

# Everything a board can be (the roles are chosen at first boot), and what boots it.
PACKAGES=(
  systemd systemd-sysv udev dbus libpam-systemd polkitd kmod iproute2 procps ca-certificates tzdata dosfstools
  initramfs-tools zstd "${KERNEL[@]}"
  python3 python3-venv python3-pip fonts-dejavu-core fonts-liberation2
  mosquitto mosquitto-clients gammu gammu-smsd espeak-ng alsa-utils chrony
  cage xwayland libgl1 libglx-mesa0 libegl1 libgles2 libgl1-mesa-dri libgbm1 libmtdev1
  libxrandr2 libxi6 libxcursor1 libxinerama1 libxss1 libxext6 libxxf86vm1
  qemu-guest-agent
)

rm -rf "$WORK"; mkdir -p "$WORK" "$OUT/cache/pip-$ARCH" "$OUT/cache/apt-$ARCH"
start=$(date +%s)
say "root file system with mmdebstrap"
# the hooks run on this machine with the new root as $1; the project's own steps are in customize.sh.
# The .deb files are kept in $OUT/cache between builds (mmdebstrap's own recipe), never in the image.
# force-confold: essential.sh writes /etc/default/raspi-firmware before the package comes, and dpkg must keep it
# rather than stop at its question (no one answers it: an arm64 build failed there once)
mmdebstrap --mode=root --variant=apt --arch="$ARCH" --components="main non-free-firmware" \
  --dpkgopt=force-confdef --dpkgopt=force-confold \
  --skip=essential/unlink --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
  --setup-hook="sync-in '$OUT/cache/apt-$ARCH' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$OUT/cache/apt-$ARCH'" \
  --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --essential-hook="'$HERE/hooks/essential.sh' \"\$1\" $ARCH" \
  --customize-hook="'$HERE/hooks/customize.sh' \"\$1\" $ARCH '$SRC' '$OUT/cache/pip-$ARCH'" \
  bookworm "$ROOTFS" \
  "deb $MIRROR bookworm main non-free-firmware" "deb $MIRROR bookworm-updates main non-free-firmware" \
  "deb ${MIRROR%/debian}/debian-security bookworm-security main non-free-firmware"

say "disk image $IMG"
mv "$ROOTFS/$BOOTDIR" "$WORK/boot" && mkdir -m 0700 "$ROOTFS/$BOOTDIR"
install -m 0644 "$HERE/motcua-setup.yaml" "$WORK/boot/motcua-setup.yaml"
install -m 0644 "$SRC/config/setup-example.yaml" "$WORK/boot/motcua-setup.example.yaml"
install -m 0644 "$SRC/config/example.yaml" "$WORK/boot/motcua.yaml"
root_mb=$(( $(du -sm "$ROOTFS" | cut -f1) + SLACK_MB ))
rm -f "$WORK/root.ext4" "$WORK/boot.vfat"
mkfs.ext4 -q -L motcua-root -d "$ROOTFS" "$WORK/root.ext4" "${root_mb}M"
mkfs.vfat -F 32 -n MOTCUA-BOOT -C "$WORK/boot.vfat" $((BOOT_MB * 1024)) >/dev/null
mcopy -s -i "$WORK/boot.vfat" "$WORK/boot"/* ::/
rm -f "$IMG"; truncate -s $(( (1 + BOOT_MB + root_mb + 1) * 1024 * 1024 )) "$IMG"
if [ "$ARCH" = amd64 ]; then       # a PC's firmware finds the EFI system partition on a GPT disk
  printf 'label: gpt\nstart=1MiB, size=%sMiB, type=uefi, name=MOTCUA-BOOT\nsize=%sMiB, type=linux, name=motcua-root\n' \
    "$BOOT_MB" "$root_mb" | sfdisk -q "$IMG"
else                               # a Raspberry Pi's boot ROM reads the first FAT partition of an MBR disk
  printf 'label: dos\nstart=1MiB, size=%sMiB, type=c, bootable\nsize=%sMiB, type=83\n' "$BOOT_MB" "$root_mb" \
    | sfdisk -q "$IMG"
fi
dd if="$WORK/boot.vfat" of="$IMG" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$WORK/root.ext4" of="$IMG" bs=1M seek=$((1 + BOOT_MB)) conv=notrunc,sparse status=none
# the kernel and initrd beside the image, for QEMU's -kernel (docs/image.md: the arm64 image under -M virt)
cp -L "$ROOTFS/vmlinuz" "$OUT/motcua-$ARCH.vmlinuz" && cp -L "$ROOTFS/initrd.img" "$OUT/motcua-$ARCH.initrd"
rm -rf "$WORK"
say "ready in $(( $(date +%s) - start )) s: $IMG ($(du -h --apparent-size "$IMG" | cut -f1)); flash it whole (docs/image.md)"
