#!/usr/bin/env bash
# Sourced by the capture scripts: the reference lab's four nodes built by hand, as network namespaces
# named PREFIX-ds, PREFIX-client, PREFIX-rs1, PREFIX-rs2 on a bridge in PREFIX-sw, with the lab's
# addresses. `ns NAME CMD...` runs CMD in node NAME; fixture_lab_cleanup deletes the namespaces.

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
