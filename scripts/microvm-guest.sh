#!/bin/bash
# PID 1 inside the micro-VM (after the initramfs switched to the overlaid host root): set up the few
# writable places, run the command microvm.sh left in the results folder, hand back its exit code,
# power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
mount -t tmpfs tmpfs /run
# /tmp stays the overlaid host /tmp: a lab file there is visible, writes stay in the guest
mkdir -p /run/netns /run/lock /dev/pts /dev/shm /results
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /results
if [ -f /results/share ]; then
  share=$(cat /results/share)
  mkdir -p "$share" && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share "$share"
fi
# ipset and iptables look up a protocol by name or number in /etc/protocols (and ports in /etc/services)
# for every entry they read or print: 3,000 opens for `ipset save` of a 3,000-entry hash:ip,port set.
# Served by the overlay from the host over 9p, each open costs a round trip (ipset save of that set:
# 2.3 s; from tmpfs: 0.5 s), which no machine with a local disk pays. Copied up into the overlay's tmpfs.
for f in /etc/protocols /etc/services; do
  [ -f "$f" ] && cp -p "$f" "$f.lvslab-vm" && mv -f "$f.lvslab-vm" "$f"
done
hostname lvslab-vm
ip link set lo up
export LVSLAB_IN_MICROVM=1
cd "$(cat /results/cwd)" || cd /
mode=$(cat /results/mode 2>/dev/null)
if [ "$mode" = systemd ]; then
  # Real systemd as PID 1: the command runs as a unit once basic.target is up, then powers off.
  # Only lvslab-vm.target is started, not the host's multi-user services.
  umount /run /dev/pts /dev/shm
  units=/etc/systemd/system
  cat > "$units/lvslab-vm.target" <<UNIT
[Unit]
Description=lvslab micro-VM: run one command under systemd
Requires=basic.target lvslab-vm-run.service
After=basic.target
UNIT
  cat > "$units/lvslab-vm-run.service" <<UNIT
[Unit]
Description=lvslab micro-VM command
After=basic.target
[Service]
Type=oneshot
WorkingDirectory=$(pwd)
Environment=LVSLAB_IN_MICROVM=1 HOME=/root PATH=$PATH
ExecStart=/bin/bash -c 'bash /results/cmd > /results/output 2>&1 < /dev/null; echo \$? > /results/rc; sync'
ExecStartPost=/bin/systemctl poweroff --force --force
TimeoutStartSec=infinity
UNIT
  # tmpfiles-setup walks the whole 9p-backed tree (44 s under emulation); nothing here needs it.
  ln -sf /dev/null "$units/systemd-tmpfiles-setup.service"
  exec /lib/systemd/systemd --unit=lvslab-vm.target
elif [ "$mode" = console ]; then
  setsid bash -c 'exec bash /results/cmd < /dev/ttyS0 > /dev/ttyS0 2>&1'
  rc=$?
else
  bash /results/cmd > /results/output 2>&1 < /dev/null
  rc=$?
fi
echo "$rc" > /results/rc
sync
echo o > /proc/sysrq-trigger
sleep 10
