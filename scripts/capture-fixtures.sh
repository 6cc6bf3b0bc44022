#!/usr/bin/env bash
# Captures real tool output for the parser tests into test/fixtures/tools/, by building the reference
# lab by hand (network namespaces on a bridge) and dumping what ipvsadm, ipset, iptables-save, ip,
# sysctl and conntrack print. Needs a kernel with IPVS; on one without, run it in the micro-VM:
#
#   scripts/microvm.sh --share test/fixtures -- scripts/capture-fixtures.sh
#
# Everything it creates lives in namespaces named fx-* and is deleted at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fixture_prefix=fx
# shellcheck source=scripts/fixture-lab.sh
. scripts/fixture-lab.sh
fixture_lab_start
for rs in rs1 rs2; do
  ns "$rs" node -e "require('http').createServer((q,s)=>{s.setHeader('Connection','close');s.end('$rs\n')}).listen(8080)" &
  fixture_udp_echo "$rs"
done

# --- director: the VIP on a dummy link held down, IPVS, sysctls, SNAT by mark + masquerade, blocklist
ns ds ip link add lvslab0 type dummy
ns ds ip addr add 10.10.0.1/32 dev lvslab0
ns ds ip addr add 10.10.0.2/32 dev lvslab0
ns ds sysctl -qw net.ipv4.ip_forward=1 net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.expire_quiescent_template=1
ns ds ipvsadm -R <<'IPVS'
-A -t 10.10.0.1:8410 -s rr
-a -t 10.10.0.1:8410 -r 192.168.113.99:8080 -m -w 1
-a -t 10.10.0.1:8410 -r 192.168.113.98:8080 -m -w 1
-A -t 10.10.0.2:80 -s wrr -p 300
-a -t 10.10.0.2:80 -r 192.168.113.99:8080 -m -w 3
-a -t 10.10.0.2:80 -r 192.168.113.98:8080 -m -w 0
-A -u 10.10.0.2:53 -s sh
-a -u 10.10.0.2:53 -r 192.168.113.99:5353 -m -w 1
-A -t 10.10.0.2:443 -s wlc
-a -t 10.10.0.2:443 -r 192.168.113.99:443 -g -w 2
-a -t 10.10.0.2:443 -r 192.168.113.98:443 -i -w 1
-A -t 192.168.113.101:9999 -s lc
IPVS
ns ds ipset restore <<'SETS'
create LVSLAB-blacklist hash:ip family inet hashsize 1024 maxelem 65536
add LVSLAB-blacklist 192.168.113.100
add LVSLAB-blacklist 192.168.113.97
create LVSLAB-nets hash:net family inet hashsize 1024 maxelem 65536
add LVSLAB-nets 10.20.0.0/16
add LVSLAB-nets 10.30.1.7
create LVSLAB-empty hash:ip family inet hashsize 1024 maxelem 65536
create LVSLAB-SNAT hash:ip,port family inet hashsize 1024 maxelem 65536
add LVSLAB-SNAT 10.10.0.1,tcp:8410
add LVSLAB-SNAT 10.10.0.2,udp:53
create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536
add KUBE-CLUSTER-IP 10.108.113.237,tcp:80
add KUBE-CLUSTER-IP 10.108.113.238,udp:53
create KUBE-NODE-PORT-TCP bitmap:port range 0-65535
add KUBE-NODE-PORT-TCP 30080
create foreign-set hash:ip family inet
add foreign-set 1.2.3.4
SETS
ns ds iptables-restore --noflush <<'RULES'
*nat
:LVSLAB-SERVICES - [0:0]
:LVSLAB-MARK-MASQ - [0:0]
:LVSLAB-POSTROUTING - [0:0]
-A PREROUTING -m comment --comment "lvslab:seed" -j LVSLAB-SERVICES
-A OUTPUT -m comment --comment "lvslab:seed" -j LVSLAB-SERVICES
-A POSTROUTING -m comment --comment "lvslab:seed" -j LVSLAB-POSTROUTING
-A POSTROUTING -s 172.16.0.0/12 -m comment --comment "foreign rule" -j MASQUERADE
-A LVSLAB-SERVICES -m comment --comment "lvslab: virtual servers that need SNAT" -m set --match-set LVSLAB-SNAT dst,dst -j LVSLAB-MARK-MASQ
-A LVSLAB-MARK-MASQ -j MARK --or-mark 0x4000
-A LVSLAB-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A LVSLAB-POSTROUTING -j MARK --xor-mark 0x4000
-A LVSLAB-POSTROUTING -m comment --comment "lvslab: masquerade toward real servers" -j MASQUERADE
COMMIT
*filter
:LVSLAB-INPUT - [0:0]
-A INPUT -m comment --comment "lvslab:seed" -j LVSLAB-INPUT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A LVSLAB-INPUT -p tcp -m tcp --dport 8410 -m set --match-set LVSLAB-blacklist src -m comment --comment "lvslab: blocklist blacklist" -j DROP
-A LVSLAB-INPUT -m set --match-set LVSLAB-nets src -m comment --comment "lvslab: blocklist nets" -j DROP
COMMIT
RULES

# --- client: route to the VIP via the director (lvslab's route protocol 241), conntrack kept on
ns client ip route add 10.10.0.1/32 via 192.168.113.101 proto 241
ns client ip route add 10.10.0.2/32 via 192.168.113.101 proto 241
ns client ip route add 10.99.0.0/16 via 192.168.113.101
ns client iptables-restore --noflush <<'RULES'
*filter
:LVSLAB-CONNTRACK - [0:0]
-A OUTPUT -m comment --comment "lvslab:seed" -j LVSLAB-CONNTRACK
-A LVSLAB-CONNTRACK -m conntrack --ctstate NEW -m comment --comment "lvslab: keep conntrack on so flows show in conntrack -L" -j RETURN
COMMIT
RULES
# a conntrack zone, for the parser
ns client iptables -t raw -A OUTPUT -p udp --dport 7777 -j CT --zone 7

sleep 1
for _ in 1 2 3 4; do ns client curl -sS --max-time 3 http://10.10.0.1:8410/ || true; done
ns client bash -c 'echo ping > /dev/udp/192.168.113.99/5353' || true
ns client bash -c 'echo x > /dev/udp/192.168.113.250/7777' || true
ns client ping -c 1 -W 1 192.168.113.101 >/dev/null || true
ns ds ping -c 1 -W 1 192.168.113.99 >/dev/null || true
ns ds curl -sS --max-time 3 http://10.10.0.1:8410/ || true
sleep 0.5

save ipvsadm-S-n.txt ns ds ipvsadm -S -n
save ipvsadm-Ln-stats-exact.txt ns ds ipvsadm -Ln --stats --exact
save ipvsadm-Lnc.txt ns ds ipvsadm -Lnc
save proc-net-ip_vs.txt ns ds cat /proc/net/ip_vs
save ipvsadm-S-n-empty.txt ns client ipvsadm -S -n
save ipset-save.txt ns ds ipset save
save ipset-list-n.txt ns ds ipset list -n
save ipset-save-empty.txt ns client ipset save
save iptables-save-nat-ds.txt ns ds iptables-save -t nat
save iptables-save-filter-ds.txt ns ds iptables-save -t filter
save iptables-save-c-nat-ds.txt ns ds iptables-save -c -t nat
save iptables-save-filter-client.txt ns client iptables-save -t filter
save iptables-save-nat-fresh.txt ns rs1 iptables-save -t nat
save ip-j-addr-ds.json ns ds ip -j addr show
save ip-j-link-ds.json ns ds ip -j -d link show
save ip-j-route-proto241-client.json ns client ip -j route show proto 241
save ip-j-route-client.json ns client ip -j route show
save ip-j-route-get-rs1.json ns rs1 ip -j route get 192.168.113.102
save sysctl-n-ds.txt ns ds sysctl -n net.ipv4.ip_forward net.ipv4.vs.conntrack net.ipv4.vs.expire_nodest_conn net.ipv4.vs.expire_quiescent_template
save sysctl-n-missing.txt ns client sysctl -n net.ipv4.ip_forward net.ipv4.vs.nosuchkey
save conntrack-L-ds.txt ns ds conntrack -L
save conntrack-L-client.txt ns client conntrack -L
save conntrack-L-fresh.txt ns rs2 conntrack -L
# stderr of failing commands, for the error predicates
save err-ipset-missing.txt ns ds ipset list nosuchset
save err-ipvsadm-missing-service.txt ns ds ipvsadm -D -t 10.77.0.1:1
save err-iptables-missing-chain.txt ns ds iptables -t nat -L NOSUCHCHAIN
save err-ip-missing-dev.txt ns ds ip addr show dev nosuchdev
save err-ipvsadm-R-bad-line.txt ns ds ipvsadm -R <<'IPVS'
-A -t 10.10.0.9:80 -s rr
-a -t 10.10.0.9:80 -r 192.168.113.99:8080 -m -w 1
-A -t 10.10.0.9:81 -s nosuchsched
IPVS
save err-iptables-restore-bad-line.txt ns ds iptables-restore --noflush <<'RULES'
*nat
:LVSLAB-X - [0:0]
-A LVSLAB-X -j RETURN
-A LVSLAB-X -m set --match-set NOSUCHSET src -j RETURN
COMMIT
RULES
save err-ipset-restore-bad-line.txt ns ds ipset restore <<'SETS'
create LVSLAB-y hash:ip family inet
add LVSLAB-y 1.1.1.1
add LVSLAB-y 300.1.1.1
SETS
save err-ipset-destroy-in-use.txt ns ds ipset destroy LVSLAB-blacklist
{
  echo "Captured by scripts/capture-fixtures.sh inside the lvslab micro-VM"
  echo "date: $(date -u +%FT%TZ)"
  echo "kernel: $(uname -r)"
  echo "ipvsadm: $(ipvsadm --version 2>&1 | head -1)"
  echo "ipset: $(ipset --version | head -1)"
  echo "iptables: $(iptables --version)"
  echo "conntrack: $(conntrack --version 2>&1 | head -1)"
  echo "iproute2: $(ip -V)"
} > "$out/CAPTURED.txt"
kill %1 %2 %3 %4 2>/dev/null || true
echo "captured $(find "$out" -type f | wc -l) files into $out"
