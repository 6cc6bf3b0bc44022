#!/usr/bin/env bash
# Builds the local Vagrant box the lab VMs boot when no public box can be downloaded, and adds it to
# Vagrant as lvslab/debian13 (provider libvirt). Run as root:   scripts/vagrant-box.sh
#
# The box is Debian 13 "trixie" from Debian's own packages (debootstrap), booted by libvirt straight
# into its kernel (no bootloader): systemd, systemd-networkd (DHCP on the management network; Vagrant
# writes the lab network's static address), OpenSSH with Vagrant's insecure key for the user vagrant
# (Vagrant replaces it at the first `vagrant up`), sudo without password, rsync, and the lab's tools
# (ipvsadm ipset conntrack iptables iproute2 curl nodejs), so that provisioning needs no network. Each
# VM makes its own SSH host key and machine id at its first boot.
#
# Cached: the packages are downloaded once (LVSLAB_BOX_CACHE/debs); the build is keyed by this file's
# bytes and the mirror; with the same key it is not built again, and the box is added to Vagrant again only when Vagrant's copy is another build. The kernel and
# initramfs stay in the cache folder (libvirt reads them from there at each boot).
#   LVSLAB_BOX_CACHE   the cache folder (default /var/cache/lvslab-vagrant-box)
#   LVSLAB_BOX_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
# Needs: debootstrap, e2fsprogs (mkfs.ext4 -d), qemu-utils, vagrant, vagrant-libvirt, libvirt (virsh).
set -Eeuo pipefail

name=lvslab/debian13
cache=${LVSLAB_BOX_CACHE:-/var/cache/lvslab-vagrant-box}
mirror=${LVSLAB_BOX_MIRROR:-http://deb.debian.org/debian}
disk_gb=4
packages=(systemd systemd-sysv udev dbus kmod procps openssh-server sudo rsync
  linux-image-amd64 initramfs-tools zstd
  ipvsadm ipset conntrack iptables iproute2 curl nodejs keepalived conntrackd)

say() { echo "vagrant-box: $*" >&2; }
trap 'echo "vagrant-box: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
die() { echo "vagrant-box: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap and libvirt's system instance need it)"
for tool in debootstrap:debootstrap mkfs.ext4:e2fsprogs qemu-img:qemu-utils vagrant:vagrant virsh:libvirt-clients; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || die "${tool%%:*} is missing (apt-get install ${tool#*:})"
done

key=$( { cat "${BASH_SOURCE[0]}"; echo "$mirror"; } | sha256sum | cut -c1-16)
dir=$cache/$key
# where Vagrant keeps the added box (a box added from a file has version 0)
vagrant_box=${VAGRANT_HOME:-$HOME/.vagrant.d}/boxes/${name//\//-VAGRANTSLASH-}/0/libvirt
# vagrant-libvirt uploads the box image once into libvirt's default pool (as NAME_vagrant_box_image_0_
# STAMP_box.img) and reuses it; a box added again gets another stamp, and the old image stays
volumes="${name//\//-VAGRANTSLASH-}_vagrant_box_image_0_"

if [ -f "$dir/done" ] && [ "$(cat "$vagrant_box/lvslab-box.key" 2>/dev/null)" = "$key" ]; then
  say "$name is up to date (build $key in $dir)"
  exit 0
fi

# removes a build folder, after unmounting what a failed debootstrap may have left mounted inside it
remove_build() {
  local m
  findmnt -rn -o TARGET | { grep -F "$1/" || true; } | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$1"
}

if [ ! -f "$dir/done" ]; then
  start=$SECONDS
  remove_build "$dir"
  mkdir -p "$dir"
  root=$dir/rootfs
  say "debootstrap trixie from $mirror into $root"
  mkdir -p "$cache/debs"
  debootstrap --cache-dir="$cache/debs" --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" trixie "$root" "$mirror" > "$dir/debootstrap.log" 2>&1 ||
    { tail -n 20 "$dir/debootstrap.log" >&2; die "debootstrap failed (log: $dir/debootstrap.log)"; }

  say "configuring the image"
  echo lvslab > "$root/etc/hostname"
  echo "/dev/vda / ext4 defaults,errors=remount-ro 0 1" > "$root/etc/fstab"
  : > "$root/etc/machine-id"  # each VM makes its own at first boot
  rm -f "$root/var/lib/dbus/machine-id"
  # DHCP on any Ethernet device that Vagrant did not configure (its files are 50-vagrant-*.network).
  # KeepConfiguration=dhcp: networkd's default releases the lease when it stops and drops what DHCP
  # gave when it starts, so a restart leaves the management address off the VM until DHCP answers
  # again; and Vagrant restarts networkd after setting the hostname, then rsyncs the synced folder at
  # once over that address: under software emulation the host's ARP for it failed first (rsync:
  # "connection unexpectedly closed"). The lease's address stays, and DHCP renews it.
  cat > "$root/etc/systemd/network/99-lvslab-dhcp.network" <<'EOF'
[Match]
Name=en* eth*
[Network]
DHCP=ipv4
KeepConfiguration=dhcp
EOF
  # each VM its own host key, made at its first boot (ed25519: quick under software emulation)
  rm -f "$root"/etc/ssh/ssh_host_*
  echo "HostKey /etc/ssh/ssh_host_ed25519_key" > "$root/etc/ssh/sshd_config.d/lvslab-box.conf"
  echo "UseDNS no" >> "$root/etc/ssh/sshd_config.d/lvslab-box.conf"
  mkdir -p "$root/etc/systemd/system/ssh.service.d"
  cat > "$root/etc/systemd/system/ssh.service.d/lvslab-box.conf" <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/bin/sh -c 'test -s /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key'
ExecStartPre=/usr/sbin/sshd -t
EOF
  chroot "$root" useradd --create-home --shell /bin/bash vagrant
  echo "vagrant:vagrant" | chroot "$root" chpasswd
  echo "vagrant ALL=(ALL) NOPASSWD: ALL" > "$root/etc/sudoers.d/vagrant"
  chmod 0440 "$root/etc/sudoers.d/vagrant"
  install -d -m 0700 -o 1000 -g 1000 "$root/home/vagrant/.ssh"
  insecure=$( { find /usr/share/rubygems-integration /opt/vagrant /usr/share/vagrant -path '*/keys/vagrant.pub' 2>/dev/null || true; } | head -n 1)
  [ -n "$insecure" ] || die "Vagrant's insecure public key (keys/vagrant.pub) was not found"
  install -m 0600 -o 1000 -g 1000 "$insecure" "$root/home/vagrant/.ssh/authorized_keys"
  # (systemctl in a chroot warns that /proc is not mounted: it needs nothing of it to enable units)
  chroot "$root" systemctl enable --quiet systemd-networkd ssh 2>/dev/null
  # nothing that runs at boot or on a timer without being asked: the VMs share two emulated CPUs.
  # Debian's ipvsadm.service would restore saved rules or start a sync daemon: IPVS is lvslab's here.
  chroot "$root" systemctl mask --quiet systemd-networkd-wait-online.service apt-daily.timer \
    apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer ipvsadm.service \
    getty@tty1.service 2>/dev/null || true
  # keepalived and conntrackd run on an HA lab's directors only, started there by provision.sh with the
  # configurations lvslab writes: disabled in the box (Debian enables both; conntrackd would start with
  # its default configuration on every VM)
  chroot "$root" systemctl disable --quiet keepalived.service conntrackd.service 2>/dev/null || true
  # drivers for devices a lab VM has no use for, which udev would load at every boot (emulated: seconds)
  printf 'blacklist %s\n' kvm kvm_amd kvm_intel bochs drm drm_kms_helper parport_pc ppdev pcspkr floppy \
    serio_raw psmouse joydev evdev i2c_piix4 intel_rapl_msr intel_rapl_common sg sr_mod cdrom \
    > "$root/etc/modprobe.d/lvslab-box.conf"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/log/*.log

  kver=$(find "$root/boot" -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
  if [ -z "$kver" ] || [ ! -f "$root/boot/initrd.img-$kver" ]; then die "the image has no kernel and initramfs in /boot"; fi
  install -m 0644 "$root/boot/vmlinuz-$kver" "$dir/vmlinuz"
  install -m 0644 "$root/boot/initrd.img-$kver" "$dir/initrd.img"

  say "making the ${disk_gb} GB disk image"
  truncate -s "${disk_gb}G" "$dir/root.raw"
  mkfs.ext4 -q -F -L lvslab-root -d "$root" "$dir/root.raw"
  remove_build "$root"
  qemu-img convert -O qcow2 "$dir/root.raw" "$dir/box.img"
  rm -f "$dir/root.raw"
  printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' "$disk_gb" > "$dir/metadata.json"
  cat > "$dir/Vagrantfile" <<EOF
# lvslab's local box (scripts/vagrant-box.sh, build $key): direct kernel boot from the build's cache
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.kernel = "$dir/vmlinuz"
    libvirt.initrd = "$dir/initrd.img"
    # a lab VM on networks that reach nothing else: no CPU-vulnerability mitigations (costly under
    # emulation), no audit, no watchdogs
    libvirt.cmd_line = "root=/dev/vda rw console=ttyS0 quiet mitigations=off audit=0 nowatchdog"
    libvirt.disk_bus = "virtio"
  end
end
EOF
  echo "$key" > "$dir/lvslab-box.key"
  touch "$dir/done"
  say "built in $((SECONDS - start)) s ($(du -sh "$dir/box.img" | cut -f1) qcow2, kernel $kver)"
fi

# into Vagrant, and the older build's image out of libvirt's pool (not while a VM still uses it)
start=$SECONDS
virsh=(virsh -q -c qemu:///system)
if "${virsh[@]}" version >/dev/null 2>&1; then
  # no pool yet (libvirt never used) lists nothing: not a failure
  for vol in $({ "${virsh[@]}" vol-list --pool default 2>/dev/null || true; } | awk -v p="$volumes" 'index($1, p) == 1 {print $1}'); do
    for domain in $("${virsh[@]}" list --all --name); do
      if "${virsh[@]}" dumpxml "$domain" | grep -qF "$vol"; then
        die "VM $domain still uses the older box's image $vol: vagrant destroy it first"
      fi
    done
    "${virsh[@]}" vol-delete --pool default "$vol" >/dev/null
  done
fi
tar -C "$dir" -cf "$dir/lvslab.box" metadata.json Vagrantfile box.img lvslab-box.key
vagrant box add --force --name "$name" --provider libvirt "$dir/lvslab.box" >/dev/null
rm -f "$dir/lvslab.box"
say "added $name to Vagrant in $((SECONDS - start)) s"
# older builds: only their kernels were still used, by boxes now replaced
for old in "$cache"/*/; do
  case "$old" in "$dir/" | "$cache/debs/") ;; *) remove_build "${old%/}" ;; esac
done
