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
hostname lvslab-vm
ip link set lo up
export LVSLAB_IN_MICROVM=1
cd "$(cat /results/cwd)" || cd /
if [ -f /results/mode ]; then
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
