#!/usr/bin/env bash
# Captures the tool output the ownership tests replay (test/unit/kernel/ownership.test.ts): a director
# whose configured interface name may be a dummy lvslab made, a veth (eth0) or lo, and a client's
# routes mixing lvslab's (protocol 241, planned destinations) with foreign ones (a static route to a
# VIP, a protocol-241 route to a destination no lab plans). Needs IPVS-free tools only, but the same
# micro-VM as capture-fixtures.sh:
#
#   scripts/microvm.sh --share test/fixtures -- scripts/capture-ownership-fixtures.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fixture_prefix=fxo
# shellcheck source=scripts/fixture-lab.sh
. scripts/fixture-lab.sh
fixture_lab_start

ns ds ip link add lvslab0 type dummy
ns ds ip addr add 10.10.0.1/32 dev lvslab0
ns ds ip addr add 10.10.0.2/32 dev lvslab0
ns ds ip link add eth1 type dummy
ns ds ip link set eth1 up
ns client ip route add 10.10.0.1/32 via 192.168.113.101 proto 241
ns client ip route add 10.10.0.2/32 via 192.168.113.101 proto static
ns client ip route add 10.77.0.0/16 via 192.168.113.101 proto 241
ns client ip route add 10.99.0.0/16 via 192.168.113.101

save ip-j-d-addr-ds.json ns ds ip -j -d addr show
save ip-j-route-foreign-client.json ns client ip -j route show
echo "captured by scripts/capture-ownership-fixtures.sh, $(date -u +%FT%TZ), kernel $(uname -r), $(ip -V)" > "$out/CAPTURED-ownership.txt"
