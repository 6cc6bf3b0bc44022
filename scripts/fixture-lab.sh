#!/usr/bin/env bash
# Sourced by the capture scripts: the reference lab's four nodes built by hand, as network namespaces
# named PREFIX-ds, PREFIX-client, PREFIX-rs1, PREFIX-rs2 on a bridge in PREFIX-sw, with the lab's
# addresses. `ns NAME CMD...` runs CMD in node NAME; fixture_lab_cleanup deletes the namespaces.
# fixture_lab_start does what every capture starts with; `save FILE CMD...` keeps what CMD printed.

fixture_prefix=${fixture_prefix:-fx}

ns() { ip netns exec "$fixture_prefix-$1" "${@:2}"; }

fixture_lab_cleanup() {
  local n
  for n in sw ds client rs1 rs2; do ip netns del "$fixture_prefix-$n" 2>/dev/null || true; done
}

fixture_lab_build() {
  local i=0 spec name addr
  ip netns add "$fixture_prefix-sw"
  ns sw ip link add br0 type bridge
  ns sw ip link set br0 up
  for spec in ds:192.168.113.101 client:192.168.113.102 rs1:192.168.113.99 rs2:192.168.113.98; do
    name=${spec%%:*} addr=${spec#*:}
    ip netns add "$fixture_prefix-$name"
    ip link add "${fixture_prefix}v$i" type veth peer name eth0 netns "$fixture_prefix-$name"
    ip link set "${fixture_prefix}v$i" netns "$fixture_prefix-sw"
    ns sw ip link set "${fixture_prefix}v$i" master br0 up
    ns "$name" ip link set lo up
    ns "$name" ip addr add "$addr/24" dev eth0
    ns "$name" ip link set eth0 up
    i=$((i + 1))
  done
}

# The output folder ($FIXTURES_OUT, default test/fixtures/tools) as $out, ip_vs loaded, and a fresh lab
# that is deleted on exit. Run from the repository root.
fixture_lab_start() {
  out=${FIXTURES_OUT:-test/fixtures/tools}
  mkdir -p "$out"
  modprobe ip_vs
  trap fixture_lab_cleanup EXIT
  fixture_lab_cleanup
  fixture_lab_build
}

# A UDP echo on port 5353 of node NAME, in the background.
fixture_udp_echo() {
  ns "$1" node -e "const d=require('dgram').createSocket('udp4');d.on('message',(m,r)=>d.send(m,r.port,r.address));d.bind(5353)" &
}

# save FILE CMD...: CMD's stdout into $out/FILE; its stderr, and its exit code when not 0, into
# $out/FILE.stderr (left out when empty).
save() {
  local f=$1
  shift
  "$@" > "$out/$f" 2> "$out/$f.stderr" || echo "exit $?" >> "$out/$f.stderr"
  [ -s "$out/$f.stderr" ] || rm -f "$out/$f.stderr"
}
