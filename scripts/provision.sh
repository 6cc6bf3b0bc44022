#!/usr/bin/env bash
# Makes this machine one node of an lvslab lab, run by systemd: scripts/provision.sh NODE [LAB.yaml]
# (LAB.yaml relative to the lvslab folder this script is in; default labs/seed.yaml). Vagrant runs it on
# each VM from the synced folder /vagrant. Idempotent: a second run changes nothing and says so.
#   1. the tools: ipvsadm ipset conntrack iptables curl nodejs (20 or newer) npm, and what npm needs to
#      build the one native module (g++ make python3) — apt-get only for what is missing;
#   2. lvslab in /opt/lvslab: the bundled programs (built here when the folder has none, or older
#      than its sources), labs, unit, and its runtime modules (npm ci --omit=dev; the native module is
#      compiled only when the build's copy does not load here) — only once the lab file passed
#      lvslab's own validation and holds NODE, so a bad lab installs nothing;
#   3. the lab file as /etc/lvslab/lab.yaml;
#   4. the unit lvslabd@.service, and lvslabd@NODE enabled and running (restarted when something it
#      runs changed).
set -euo pipefail

usage="usage: scripts/provision.sh NODE [LAB.yaml]"
node_name=${1:?$usage}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lab_file=${2:-labs/seed.yaml}
case "$lab_file" in /*) ;; *) lab_file="$src/$lab_file" ;; esac
prefix=/opt/lvslab
etc=/etc/lvslab
unit_dir=/etc/systemd/system
changed=()

say() { echo "provision $node_name: $*"; }
die() { echo "provision $node_name: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root"
[[ "$node_name" =~ ^[a-z][a-z0-9-]{0,14}$ ]] || die "NODE '$node_name' is not a node name (lowercase letters, digits, '-')"
[ -f "$lab_file" ] || die "no lab file $lab_file"

# 1. packages ------------------------------------------------------------------------------------
missing=()
for pair in ipvsadm:ipvsadm ipset:ipset conntrack:conntrack iptables:iptables curl:curl \
            node:nodejs npm:npm g++:g++ make:make python3:python3 modprobe:kmod ip:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  changed+=("packages: ${missing[*]}")
else
  say "packages: all present"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
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
stale=$(find "$src/daemon" -name '*.ts' -newer "$src/dist/bin/lvslabd.js" -print -quit 2>/dev/null || echo missing)
if [ ! -f "$src/dist/bin/lvslab.js" ] || [ -n "$stale" ]; then
  # no built output in the synced folder (or older than its sources): bundle it in a scratch copy
  build=/var/cache/lvslab/build
  say "building lvslab in $build (npm ci, esbuild)"
  mkdir -p "$build"
  tar -C "$src" --exclude=./node_modules --exclude=./.git --exclude=./dist -cf - . | tar -C "$build" -xf -
  (cd "$build" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && node scripts/bundle.mjs)
  built=$build
else
  built=$src
fi
# the lab must be valid and hold this node before anything is installed
node "$built/dist/bin/lvslab.js" check "$lab_file" --node "$node_name" >/dev/null ||
  die "$lab_file cannot be this node's lab (see above); nothing was installed"
for f in "${bundles[@]}"; do put "$built/$f" "$prefix/$f" 0755; done
for f in package.json package-lock.json README.md systemd/lvslabd@.service labs/*.yaml; do
  put "$src/$f" "$prefix/$f" 0644
done

# runtime modules, again only when the lockfile changed. The one native module, unix-dgram (sd_notify),
# is compiled only when the build's own copy cannot be used: that copy (the built folder's node_modules)
# must be the same version and load in this machine's node (another OS, CPU or node ABI does not), as
# compiling it takes minutes on an emulated VM.
stamp="$prefix/node_modules/.lvslab-lock.sha256"
want=$(sha256sum "$prefix/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "npm ci --omit=dev --ignore-scripts in $prefix"
  (cd "$prefix" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)
  addon=node_modules/unix-dgram
  version() { node -p "require('$1/package.json').version" 2>/dev/null || echo none; }
  loads() { (cd "$prefix" && node -e "require('unix-dgram')" >/dev/null 2>&1); }
  if [ -d "$built/$addon/build/Release" ] && [ "$(version "$built/$addon")" = "$(version "$prefix/$addon")" ] &&
     cp -a "$built/$addon/build" "$prefix/$addon/" && loads; then
    say "unix-dgram: the build's compiled addon loads here, not compiled again"
  else
    rm -rf "${prefix:?}/$addon/build"
    say "unix-dgram: compiling the addon (npm rebuild)"
    (cd "$prefix" && npm rebuild unix-dgram --no-audit --no-fund --loglevel=error >/dev/null)
    loads || die "unix-dgram does not load after npm rebuild in $prefix"
  fi
  echo "$want" > "$stamp"
  changed+=("$prefix/node_modules")
fi

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
unit="lvslabd@$node_name.service"
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

if [ "${#changed[@]}" -eq 0 ]; then
  say "no change ($unit active)"
else
  say "changed: ${changed[*]}"
  say "done: $unit $(systemctl is-active "$unit"); see journalctl -u $unit and lvslab status --node $node_name"
fi
