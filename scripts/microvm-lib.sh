#!/usr/bin/env bash
# Helpers for microvm.sh: pick the guest kernel and build (once, cached) the tiny initramfs that mounts
# the host's root over 9p with a tmpfs overlay and hands over to microvm-guest.sh.

# The newest kernel that has both an image in /boot and a modules directory.
microvm_kernel_version() {
  local v
  for v in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -V -r); do
    if [ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/kernel/net/netfilter/ipvs" ]; then
      echo "$v"; return 0
    fi
  done
  return 1
}

microvm_modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"

# Prints the path of the initramfs for kernel $1, building it when missing or older than this file.
microvm_initramfs() {
  local kver=$1 cache=${LVSLAB_MICROVM_CACHE:-/var/cache/lvslab-microvm}
  local image="$cache/initramfs-$kver.cpio.gz" self="${BASH_SOURCE[0]}"
  if [ -f "$image" ] && [ "$image" -nt "$self" ]; then echo "$image"; return 0; fi
  local busybox
  busybox=$(command -v busybox) || { echo "microvm: busybox is missing (apt-get install busybox-static)" >&2; return 3; }
  if ldd "$busybox" >/dev/null 2>&1; then
    echo "microvm: $busybox is not static (apt-get install busybox-static)" >&2; return 3
  fi
  mkdir -p "$cache"
  local root m f
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/lib/mod" "$root/proc" "$root/sys" "$root/dev" "$root/ro" "$root/rw" "$root/newroot"
  cp "$busybox" "$root/bin/busybox"
  for m in $microvm_modules; do
    f=$(find "/lib/modules/$kver/kernel" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
    [ -n "$f" ] || { echo "microvm: module $m missing for kernel $kver" >&2; rm -rf "$root"; return 3; }
    case "$f" in *.xz) xz -dc "$f" > "$root/lib/mod/$m.ko" ;; *) cp "$f" "$root/lib/mod/$m.ko" ;; esac
  done
  cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
for m in $microvm_modules; do /bin/busybox insmod /lib/mod/\$m.ko || echo "init: insmod \$m failed"; done
/bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /ro || echo "init: 9p mount failed"
/bin/busybox mount -t tmpfs -o size=75% tmpfs /rw
/bin/busybox mkdir -p /rw/upper /rw/work
/bin/busybox mount -t overlay overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work /newroot || echo "init: overlay failed"
stage2=\$(/bin/busybox sed -n 's/.*lvslab\.stage2=\([^ ]*\).*/\1/p' /proc/cmdline)
/bin/busybox mount --move /proc /newroot/proc
/bin/busybox mount --move /sys /newroot/sys
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /bin/bash "\$stage2"
INIT
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$image.tmp"
  mv "$image.tmp" "$image"
  rm -rf "$root"
  echo "$image"
}
