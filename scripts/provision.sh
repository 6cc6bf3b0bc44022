#!/usr/bin/env bash
# Makes this machine one node of an lvslab lab, run by systemd: scripts/provision.sh NODE [LAB.yaml]
# (LAB.yaml relative to the lvslab folder this script is in; default labs/seed.yaml). Vagrant runs it on
# each VM from the synced folder /vagrant. Idempotent: a second run changes nothing and says so.
#   1. the tools: ipvsadm ipset conntrack iptables curl nodejs (20 or newer) — apt-get only for what is
#      missing;
#   2. lvslab in /opt/lvslab: dist/ as built (the two bundled programs and, in dist/node_modules, the
#      one native module with the addon compiled by the build; it is compiled again here, with npm and
#      g++, only when that copy does not load in this machine's node), labs, unit — only once the lab
#      file passed lvslab's own validation and holds NODE, so a bad lab installs nothing. A folder with
#      no build (or a checkout's build older than its sources) is built first in a scratch copy (npm
#      ci: network); the installed package (npm install -g; its lib/node_modules/lvslab) has the build;
#   3. the lab file as /etc/lvslab/lab.yaml;
#   4. the unit lvslabd@.service, and lvslabd@NODE enabled and running (restarted when something it
#      runs changed);
#   5. on a director of an HA lab: keepalived and conntrackd (Debian's packages and units) with the
#      configurations lvslab renders for it; elsewhere, a keepalived or conntrackd lvslab had configured
#      is stopped and its configuration removed.
# Vagrant uploads this script and runs the copy (/tmp/vagrant-shell): the lvslab folder is then the
# synced folder, /vagrant (LVSLAB_SYNCED_FOLDER).
set -euo pipefail

usage="usage: scripts/provision.sh NODE [LAB.yaml]"
node_name=${1:?$usage}
lab_file=${2:-labs/seed.yaml}
prefix=/opt/lvslab
etc=/etc/lvslab
unit_dir=/etc/systemd/system
changed=()

say() { echo "provision $node_name: $*"; }
die() { echo "provision $node_name: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root"
[[ "$node_name" =~ ^[a-z][a-z0-9-]{0,14}$ ]] || die "NODE '$node_name' is not a node name (lowercase letters, digits, '-')"
lvslab_folder() { [ -f "$1/package.json" ] && [ -d "$1/labs" ] && [ -f "$1/systemd/lvslabd@.service" ]; }
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
synced=${LVSLAB_SYNCED_FOLDER:-/vagrant}
if ! lvslab_folder "$src"; then
  lvslab_folder "$synced" || die "neither $src (this script's folder's parent) nor $synced (Vagrant's synced folder) is an lvslab folder: run scripts/provision.sh of an lvslab checkout"
  src=$synced
fi
cd "$src"
case "$lab_file" in /*) ;; *) lab_file="$src/$lab_file" ;; esac
[ -f "$lab_file" ] || die "no lab file $lab_file"

# 1. packages ------------------------------------------------------------------------------------
# apt-get install what is missing from PAIRS (command:package ...); records what changed; returns 1 when
# nothing was missing. (Called in `||` lists, where set -e does not apply: each failure dies explicitly.)
install_missing() {
  local pair missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  [ "${#missing[@]}" -gt 0 ] || return 1
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
  changed+=("packages: ${missing[*]}")
}
install_missing ipvsadm:ipvsadm ipset:ipset conntrack:conntrack iptables:iptables curl:curl \
  node:nodejs modprobe:kmod ip:iproute2 || say "packages: all present"
# node --version prints without starting a JavaScript engine (node -p took 2.8 s on an emulated VM)
node_version=$(node --version)
node_major=${node_version#v}
node_major=${node_major%%.*}
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: lvslab needs 20 or newer (Debian 13 ships 20)"

# 2. lvslab in /opt/lvslab -----------------------------------------------------------------------
# copy SRC to DEST (mode MODE) unless DEST already has the same bytes; records what changed
put() {
  local from=$1 to=$2 mode=$3
  if [ -f "$to" ] && cmp -s "$from" "$to"; then return 0; fi
  install -D -m "$mode" "$from" "$to"
  changed+=("$to")
}

bundles=(dist/bin/lvslab.js dist/bin/lvslabd.js)
modules=dist/node_modules
# a checkout has sources to compare its build with; an installed package (npm pack) has only the build
stale=
if [ -d "$src/daemon" ]; then
  stale=$(find "$src/daemon" -name '*.ts' -newer "$src/dist/bin/lvslabd.js" -print -quit 2>/dev/null || echo missing)
fi
if [ ! -f "$src/dist/bin/lvslab.js" ] || [ ! -d "$src/$modules/unix-dgram" ] || [ -n "$stale" ]; then
  # no built output in this folder (or older than its sources): bundle it in a scratch copy
  build=/var/cache/lvslab/build
  install_missing npm:npm g++:g++ make:make python3:python3 || true
  say "building lvslab in $build (npm ci, esbuild)"
  mkdir -p "$build"
  tar -C "$src" --exclude=./node_modules --exclude=./.git --exclude=./dist -cf - . | tar -C "$build" -xf -
  (cd "$build" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && node scripts/bundle.mjs)
  built=$build
else
  built=$src
fi
# the lab must be valid and hold this node before anything is installed
checked=$(node "$built/dist/bin/lvslab.js" check "$lab_file" --node "$node_name") ||
  die "$lab_file cannot be this node's lab (see above); nothing was installed"
unit="lvslabd@$node_name.service"

# A node moving to a lab of another name (its `lab:`): what a lab owns is recorded under its name
# (/run/lvslab/LAB/NODE.owned.json), so the new lab's daemon would find the old lab's links, rules and
# IPVS services foreign and refuse to touch them. The old lab's daemon stops and the installed lvslab's
# cleanup removes what the old lab made here, before anything of the new lab is installed.
lab_name() { sed -n 's/^.*: lab \([^ ]*\) is valid .*$/\1/p' <<< "$1"; }
new_lab=$(lab_name "$checked")
old_lab=
if [ -f "$etc/lab.yaml" ] && cmp -s "$lab_file" "$etc/lab.yaml"; then
  old_lab=$new_lab # the same file: no second check (each lvslab run costs seconds on an emulated VM)
elif [ -f "$etc/lab.yaml" ] && [ -x /usr/local/bin/lvslab ]; then
  old_lab=$(lab_name "$(/usr/local/bin/lvslab check "$etc/lab.yaml" 2>/dev/null || true)")
fi
if [ -n "$old_lab" ] && [ "$old_lab" != "$new_lab" ]; then
  say "this node moves from lab $old_lab to lab $new_lab: stopping $unit, then lab $old_lab's cleanup"
  systemctl stop "$unit"
  out=$(/usr/local/bin/lvslab cleanup --node "$node_name" "$etc/lab.yaml" 2>&1) ||
    { echo "$out" >&2; die "lab $old_lab's cleanup failed (above): $unit is stopped, lab $new_lab was not installed"; }
  while IFS= read -r line; do say "  $line"; done <<< "$out"
  changed+=("cleanup of lab $old_lab")
fi

for f in "${bundles[@]}"; do put "$built/$f" "$prefix/$f" 0755; done
for f in package.json README.md systemd/lvslabd@.service labs/*.yaml; do
  put "$f" "$prefix/$f" 0644
done
# earlier versions installed the runtime modules with npm into $prefix/node_modules
for old in "$prefix/node_modules" "$prefix/package-lock.json"; do
  [ ! -e "$old" ] || { rm -rf "$old"; changed+=("removed $old"); }
done

# The native module, unix-dgram (sd_notify), with the addon as the build compiled it. Copied when its
# files (the compiled addon aside) differ; compiled here only when the addon does not load in this
# machine's node (another OS, CPU or node ABI than the build's): minutes under emulation.
# the node version the addon last loaded in (written below): with the same files and the same node it
# still loads, and is not tried again (a node start: seconds on an emulated VM)
loads_in=$prefix/dist/.unix-dgram-loads-in
if ! diff -rq -x build "$built/$modules" "$prefix/$modules" >/dev/null 2>&1; then
  rm -f "$loads_in"
  rm -rf "${prefix:?}/$modules"
  mkdir -p "$prefix/dist"
  cp -a "$built/$modules" "$prefix/$modules"
  changed+=("$prefix/$modules")
fi
addon_loads() { (cd "$prefix/dist/bin" && node -e "require('unix-dgram')" >/dev/null 2>&1); }
if [ "$(cat "$loads_in" 2>/dev/null)" = "$node_version" ]; then
  : # loaded before, in this node, from these files
elif ! addon_loads; then
  install_missing npm:npm g++:g++ make:make python3:python3 || true
  say "unix-dgram: the build's addon does not load here: compiling it (npm rebuild)"
  rm -rf "${prefix:?}/$modules/unix-dgram/build"
  (cd "$prefix/dist" && npm rebuild unix-dgram --no-audit --no-fund --loglevel=error >/dev/null)
  addon_loads || die "unix-dgram does not load after npm rebuild in $prefix/dist"
  changed+=("compiled $prefix/$modules/unix-dgram")
fi
echo "$node_version" > "$loads_in"

wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
printf '#!/bin/sh\nexec node %s/dist/bin/lvslab.js "$@"\n' "$prefix" > "$wrapper"
put "$wrapper" /usr/local/bin/lvslab 0755

# 3. the lab file (checked above) -------------------------------------------------------------------
put "$lab_file" "$etc/lab.yaml" 0644

# 4. the unit --------------------------------------------------------------------------------------
before=${#changed[@]}
put "$src/systemd/lvslabd@.service" "$unit_dir/lvslabd@.service" 0644
[ "${#changed[@]}" = "$before" ] || systemctl daemon-reload
if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
  systemctl enable --quiet "$unit"
  changed+=("enabled $unit")
fi
if ! systemctl is-active --quiet "$unit"; then
  say "starting $unit"
  systemctl start "$unit"
  changed+=("started $unit")
elif [ "${#changed[@]}" -gt 0 ]; then
  say "restarting $unit (what it runs changed)"
  systemctl restart "$unit"
fi

# 5. an HA lab's director: keepalived and conntrackd ----------------------------------------------
# keepalived's VRRP moves the VIPs and the floating address (and starts IPVS's sync daemon), conntrackd
# copies the lab's conntrack entries to the other director: Debian's packages, run by their own units,
# with the configurations lvslab renders for this node (lvslab ha-files). On a node that is not (or no
# longer) an HA director, a keepalived or conntrackd that lvslab configured is stopped and disabled, and
# lvslab's files of theirs removed.
ha_state=""
node_ip=$(sed -n "s/^.*[(,] \{0,1\}$node_name [a-z-]* \([0-9.]*\)\/[0-9]*[,)].*$/\1/p" <<< "$checked")
[ -n "$node_ip" ] || die "lvslab check did not give $node_name's address: $checked"
link=$(ip -o -4 addr show | awk -v ip="$node_ip" '{ split($4, a, "/"); if (a[1] == ip) { print $2; exit } }')
node_role=$(sed -n "s/^.*[(,] \{0,1\}$node_name \([a-z-]*\) [0-9.]*\/[0-9]*[,)].*$/\1/p" <<< "$checked")
ha_out=$(mktemp -d)
trap 'rm -f "$wrapper"; rm -rf "$ha_out"' EXIT
# only a director can be one of an HA lab's two (ha-files writes nothing for the other nodes)
if [ "$node_role" = director ]; then
  node "$prefix/dist/bin/lvslab.js" ha-files "$etc/lab.yaml" --node "$node_name" --link "$link" --out "$ha_out" > /dev/null ||
    die "lvslab ha-files failed for $node_name (above)"
fi
owned_by_lvslab() { [ -f "$1" ] && head -n 1 "$1" | grep -q '^# lvslab:'; }
if [ -f "$ha_out/keepalived.conf" ]; then
  install_missing keepalived:keepalived conntrackd:conntrackd || true
  before=${#changed[@]}
  put "$ha_out/conntrackd.conf" /etc/conntrackd/conntrackd.conf 0644
  put "$ha_out/conntrackd-notify.sh" "$etc/conntrackd-notify.sh" 0755
  conntrackd_changed=$(( ${#changed[@]} - before ))
  before=${#changed[@]}
  put "$ha_out/keepalived.conf" /etc/keepalived/keepalived.conf 0644
  keepalived_changed=$(( ${#changed[@]} - before ))
  # conntrackd first: keepalived's first notify (master or backup) asks it to commit or resync
  for svc in conntrackd keepalived; do
    if ! systemctl is-enabled --quiet "$svc.service" 2>/dev/null; then systemctl enable --quiet "$svc.service"; changed+=("enabled $svc.service"); fi
    if ! systemctl is-active --quiet "$svc.service"; then
      say "starting $svc.service"; systemctl start "$svc.service"; changed+=("started $svc.service")
    elif [ "$svc" = conntrackd ] && [ "$conntrackd_changed" -gt 0 ]; then
      say "restarting conntrackd.service (its configuration changed)"; systemctl restart conntrackd.service
    elif [ "$svc" = keepalived ] && [ "$keepalived_changed" -gt 0 ]; then
      say "reloading keepalived.service (its configuration changed)"; systemctl reload keepalived.service
    fi
    ha_state+="${ha_state:+, }$svc.service $(systemctl is-active "$svc.service")"
  done
else
  for svc in keepalived conntrackd; do
    conf=/etc/$svc/$svc.conf
    owned_by_lvslab "$conf" || continue
    say "$node_name is not a director of an HA lab: stopping $svc.service and removing lvslab's $conf"
    systemctl disable --now --quiet "$svc.service" || die "could not stop $svc.service"
    rm -f "$conf"
    changed+=("stopped $svc.service")
  done
  [ ! -f "$etc/conntrackd-notify.sh" ] || { rm -f "$etc/conntrackd-notify.sh"; changed+=("removed $etc/conntrackd-notify.sh"); }
fi

if [ "${#changed[@]}" -eq 0 ]; then
  say "no change ($unit active${ha_state:+; $ha_state})"
else
  say "changed: ${changed[*]}"
  say "done: $unit $(systemctl is-active "$unit")${ha_state:+; $ha_state}; see journalctl -u $unit and lvslab status --node $node_name"
fi
