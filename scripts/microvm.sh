#!/usr/bin/env bash
# Run one command inside a throwaway micro-VM that boots Debian's own kernel (which has IPVS) over this
# machine's root filesystem: / is exported read-only over 9p, a tmpfs overlay makes it writable inside,
# nothing the guest writes reaches the host except through one results folder. The guest has no
# network card at all (-nic none).
#
#   scripts/microvm.sh [--mem MB] [--timeout SECONDS] [--share DIR] [--systemd] [--console] -- COMMAND [ARG ...]
#
# COMMAND runs as root in the guest, in the current directory (same path as on the host). Its output
# streams here; the script exits with its exit code. --share DIR makes that host folder writable in
# the guest at the same path (how results leave the VM). --console attaches the guest console instead
# (for an interactive shell). --systemd boots the guest with real systemd as PID 1 and runs COMMAND as
# a unit once basic.target is reached (about 20 s more), for tests of lvslabd under systemd. Needs: qemu-system-x86, linux-image-amd64, busybox-static.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mem=2048
timeout_s=1500
console=0
systemd=0
share=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mem) mem=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --console) console=1; shift ;;
    --systemd) systemd=1; shift ;;
    --share) share=$(cd "$2" && pwd); shift 2 ;;
    --) shift; break ;;
    *) echo "microvm: unknown option '$1' (usage: microvm.sh [--mem MB] [--timeout S] [--share DIR] [--systemd] [--console] -- COMMAND ...)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "microvm: no command given (usage: microvm.sh [--mem MB] [--timeout S] -- COMMAND ...)" >&2; exit 2; }

# shellcheck source=scripts/microvm-lib.sh
. "$here/microvm-lib.sh"
kver=$(microvm_kernel_version) || { echo "microvm: no kernel with modules found (apt-get install linux-image-amd64)" >&2; exit 3; }
command -v qemu-system-x86_64 >/dev/null || { echo "microvm: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2; exit 3; }
initrd=$(microvm_initramfs "$kver")

out=$(mktemp -d /tmp/lvslab-vm.XXXXXX)
trap 'rm -rf "$out"' EXIT
: > "$out/output"
pwd > "$out/cwd"
{ printf 'exec'; printf ' %q' "$@"; printf '\n'; } > "$out/cmd"
[ "$console" = 1 ] && echo console > "$out/mode"
[ "$systemd" = 1 ] && echo systemd > "$out/mode"
[ -n "$share" ] && printf '%s\n' "$share" > "$out/share"

qemu=(qemu-system-x86_64 -machine pc -accel "tcg,thread=multi" -cpu max -m "$mem" -smp 2 -nographic -no-reboot -nic none
  -kernel "/boot/vmlinuz-$kver" -initrd "$initrd"
  -append "console=ttyS0 quiet loglevel=3 panic=-1 fstab=no systemd.show_status=0 lvslab.stage2=$here/microvm-guest.sh"
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$out,mount_tag=results,security_model=none,multidevs=remap")
[ -n "$share" ] && qemu+=(-virtfs "local,path=$share,mount_tag=share,security_model=none,multidevs=remap")

if [ "$console" = 1 ]; then
  timeout --foreground "$timeout_s" "${qemu[@]}" || true
else
  timeout "$timeout_s" "${qemu[@]}" < /dev/null > "$out/console.log" 2>&1 &
  qemu_pid=$!
  tail -n +1 -f --pid="$qemu_pid" "$out/output" 2>/dev/null &
  tail_pid=$!
  wait "$qemu_pid" || qemu_rc=$?
  wait "$tail_pid" 2>/dev/null || true
  if [ "${qemu_rc:-0}" = 124 ]; then
    echo "microvm: the guest did not finish within ${timeout_s}s" >&2
  fi
fi
if [ -s "$out/rc" ]; then
  exit "$(cat "$out/rc")"
fi
echo "microvm: the guest stopped without an exit code; its console said:" >&2
tail -n 30 "$out/console.log" >&2 2>/dev/null || true
exit 3
