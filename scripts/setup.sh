#!/usr/bin/env bash
# Installs what lvslab needs on a Debian machine (as root) and builds it. Idempotent: a second run
# installs nothing and only rebuilds what changed.
#   - the kernel tools: ipvsadm ipset conntrack iptables iproute2 curl kmod
#   - when the running kernel has no IPVS: the micro-VM (qemu, Debian's kernel, busybox-static)
#   - with --for-tests: what the test suite checks the project with (shellcheck; vagrant and its ruby;
#     keepalived, whose virtual servers live beside lvslab's in the neighbours test; promtool, which
#     checks docs/alerts.yaml)
#   - with --for-vagrant: what the lab as real VMs needs (scripts/vagrant-e2e.sh): vagrant-libvirt,
#     libvirt, debootstrap, qemu
#   - node modules (npm ci) and the TypeScript build (dist/)
set -euo pipefail
for_tests=no for_vagrant=no
for arg in "$@"; do
  case "$arg" in
    --for-tests) for_tests=yes ;;
    --for-vagrant) for_vagrant=yes ;;
    *) echo "setup: unknown option '$arg' (usage: setup.sh [--for-tests] [--for-vagrant])" >&2; exit 2 ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (lvslab builds network namespaces, iptables rules and IPVS services)" >&2
  exit 2
fi

need=()
for pair in ipvsadm:ipvsadm ipset:ipset conntrack:conntrack iptables:iptables ip:iproute2 curl:curl modprobe:kmod; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if ! modprobe -q ip_vs 2>/dev/null && [ ! -e /proc/net/ip_vs ]; then
  # No IPVS here: everything that touches IPVS runs in the micro-VM.
  command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
  ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
fi
if [ "$for_tests" = yes ]; then
  command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
  command -v vagrant >/dev/null 2>&1 || need+=(vagrant)
  command -v keepalived >/dev/null 2>&1 || need+=(keepalived)
fi
if [ "$for_vagrant" = yes ]; then
  # the lab as VMs (scripts/vagrant-e2e.sh): Vagrant, libvirt, its Vagrant provider, what builds the box
  command -v vagrant >/dev/null 2>&1 || need+=(vagrant)
  dpkg -s vagrant-libvirt >/dev/null 2>&1 || need+=(vagrant-libvirt)
  command -v libvirtd >/dev/null 2>&1 || need+=(libvirt-daemon-system)
  command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  command -v qemu-img >/dev/null 2>&1 || need+=(qemu-utils)
  command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# promtool checks and tests the alert rules (docs/alerts.yaml). It comes from Debian's prometheus package,
# unpacked into a cache rather than installed: installing it would enable a prometheus service here and
# in the micro-VM, which boots this root filesystem.
promtool_dir=/var/cache/lvslab/prometheus
if [ "$for_tests" = yes ] && ! command -v promtool >/dev/null 2>&1 && [ ! -x "$promtool_dir/usr/bin/promtool" ]; then
  echo "setup: unpacking promtool from Debian's prometheus package into $promtool_dir"
  deb_dir=$(mktemp -d)
  chown _apt "$deb_dir" 2>/dev/null || true
  (cd "$deb_dir" && { apt-get download -q prometheus >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get download -q prometheus >/dev/null; }; })
  mkdir -p "$promtool_dir"
  dpkg-deb --fsys-tarfile "$deb_dir"/prometheus_*.deb | tar -x -C "$promtool_dir" ./usr/bin/promtool
  rm -rf "$deb_dir"
fi

# conntrackd copies an HA lab's conntrack entries to the backup director (one per director, started by
# lvslab up inside its namespace). Debian's package starts its own conntrackd at install (init script)
# and enables conntrackd.service, which the micro-VM, booting this root filesystem, would then start on
# every boot: installed with starting refused (policy-rc.d), then its service disabled.
if [ "$for_tests" = yes ] && ! command -v conntrackd >/dev/null 2>&1; then
  echo "setup: installing conntrackd (its service neither started nor enabled)"
  policy=/usr/sbin/policy-rc.d made_policy=no
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; made_policy=yes; fi
  export DEBIAN_FRONTEND=noninteractive
  install_rc=0
  apt-get install -y -q --no-install-recommends conntrackd >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends conntrackd >/dev/null; } || install_rc=$?
  [ "$made_policy" = no ] || rm -f "$policy"
  [ "$install_rc" = 0 ] || exit "$install_rc"
  deb-systemd-helper disable conntrackd.service >/dev/null 2>&1 || true
  update-rc.d conntrackd disable >/dev/null 2>&1 || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
npm run build --silent
