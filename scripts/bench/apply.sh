#!/usr/bin/env bash
# What it costs to load and keep a big LVS lab (issue 13 item 5), in the micro-VM (the kernel here has
# no IPVS): N virtual services (default 10000) x 2 real servers, NAT, rr, every one with SNAT, as
#   - the floor: a bare `ipvsadm -R` of the identical rules (what any design that shells out pays),
#     loaded first and again after the rest (a namespace that has held the table loads slower; the
#     ratios are against the second, made in the conditions lvslab's apply met);
#   - keepalived (Debian's package, --check only: its checkers load the virtual servers), timed
#     until /proc/net/ip_vs lists them all (ipvsadm -Ln itself takes seconds at this size);
#   - lvslab apply from empty, then one real server's weight changed, then a converged re-run: time,
#     processes started and how many of them wrote (goal for the re-run: 0);
#   - lvslabd on the applied lab: its RSS, and the CPU of its converged runs at the default schedule
#     (every 5 s, each scheduled run held back until the last one's CPU is 10% of the time since:
#     service/cpu-budget.ts) over --daemon-seconds, per run and as a share of one core; then one real
#     server's weight changed in the lab file and SIGHUP: the time until lvslabd wrote it;
#   - lvslab cleanup.
# Everything runs in a network namespace of its own inside the VM. One run; the ratios against the
# floor are the result, absolute times (software emulation) only context. A benchmark, not a test: it
# asserts no timing. Root only.
#   bash scripts/bench/apply.sh [--services 10000] [--daemon-seconds 60]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

services=10000
daemon_seconds=60
me=scripts/bench/apply.sh
usage() { echo "usage: bash $me [--services N] [--daemon-seconds S]" >&2; exit 2; }
refuse() { echo "$me: $*" >&2; exit 2; }
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --services) [ $# -ge 2 ] || usage; services=$2; shift 2 ;;
    --daemon-seconds) [ $# -ge 2 ] || usage; daemon_seconds=$2; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
done
# the VIPs are 10.20.0.0 onward, one each: 65536 per second octet, 10.20-10.35
if ! [[ $services =~ ^[0-9]+$ ]] || [ "$((10#$services))" -lt 1 ] || [ "$((10#$services))" -gt 1000000 ]; then
  refuse "--services $services: a whole number from 1 to 1000000"
fi
if ! [[ $daemon_seconds =~ ^[0-9]+$ ]] || [ "$((10#$daemon_seconds))" -lt 10 ] || [ "$((10#$daemon_seconds))" -gt 3600 ]; then
  refuse "--daemon-seconds $daemon_seconds: a whole number from 10 to 3600"
fi
services=$((10#$services)) daemon_seconds=$((10#$daemon_seconds))
[ "$(id -u)" = 0 ] || refuse "must run as root"
lvslab=$PWD/dist/bin/lvslab.js lvslabd=$PWD/dist/bin/lvslabd.js
if [ ! -f "$lvslab" ] || [ ! -f "$lvslabd" ]; then refuse "no build of lvslab in dist/bin: npm ci && npm run build first"; fi

# outside the micro-VM: run this same script in one (it boots, runs, powers off; seconds of boot)
if [ -z "${LVSLAB_IN_MICROVM:-}" ]; then
  exec scripts/microvm.sh --timeout $((1800 + services / 5 + daemon_seconds)) -- bash "$me" "${args[@]}"
fi

missing=()
for tool in ipvsadm ipset iptables-save ip keepalived node awk modprobe; do command -v "$tool" > /dev/null || missing+=("$tool"); done
[ ${#missing[@]} = 0 ] || refuse "missing ${missing[*]} (bash scripts/setup.sh --for-tests installs them)"
modprobe ip_vs

run=lvslab-bench-apply-$$
ns=$run
lab=ba$$                               # a lab name: letters and digits, at most 10
ledger_dir=/run/lvslab/$lab
[ ! -e "/run/netns/$ns" ] || refuse "a network namespace $ns exists already"
work=$(mktemp -d /tmp/lvslab-bench-apply.XXXXXX)
made_ns=0 keepalived_pid='' daemon_pid=''
cleanup() {
  local rc=$?
  set +e
  for pid in $daemon_pid $keepalived_pid; do kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; done
  # the namespace holds every service, set, rule and address made here: deleting it removes them all
  [ "$made_ns" = 0 ] || ip netns del "$ns"
  rm -rf "$ledger_dir" "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

in_ns() { ip netns exec "$ns" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
fail() { echo "$me: $*" >&2; exit 1; }
# lines of /proc/net/ip_vs past its 3 headers: a service and each of its real servers are one line each
ipvs_lines() { in_ns awk 'NR > 3' /proc/net/ip_vs | wc -l; }
want_lines=$((services * 3))

ip netns add "$ns"; made_ns=1
# the director's lab address, as on a real director: the real servers are on its link
in_ns ip -batch - << 'BATCH'
link set lo up
link add eth0 type dummy
address add 192.168.113.101/24 dev eth0
link set eth0 up
BATCH

# the same N services three ways: lvslab's lab, ipvsadm -R lines, keepalived's configuration
vip() { echo "10.$((20 + $1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; }
awk -v n="$services" -v lab="$lab" -v work="$work" 'BEGIN {
  lab_json = work "/lab.json"; rules = work "/rules.txt"; conf = work "/keepalived.conf"
  printf "{\"lab\":\"%s\",\"nodes\":{\"ds\":{\"role\":\"director\",\"address\":\"192.168.113.101/24\",\"api\":\"off\"},", lab > lab_json
  printf "\"client\":{\"role\":\"client\",\"address\":\"192.168.113.102/24\"},\"rs1\":{\"role\":\"real-server\",\"address\":\"192.168.113.99/24\"},", lab > lab_json
  printf "\"rs2\":{\"role\":\"real-server\",\"address\":\"192.168.113.98/24\"}},\"virtualServers\":[", lab > lab_json
  printf "global_defs {\n  router_id lvslab-bench\n}\n" > conf
  for (i = 0; i < n; i++) {
    vip = sprintf("10.%d.%d.%d", 20 + int(i / 65536), int(i / 256) % 256, i % 256)
    printf "%s{\"name\":\"v%d\",\"vip\":\"%s\",\"port\":80,\"snat\":true,\"realServers\":[{\"node\":\"rs1\",\"port\":8080},{\"node\":\"rs2\",\"port\":8080}]}", (i ? "," : ""), i, vip > lab_json
    printf "-A -t %s:80 -s rr\n-a -t %s:80 -r 192.168.113.99:8080 -m -w 1\n-a -t %s:80 -r 192.168.113.98:8080 -m -w 1\n", vip, vip, vip > rules
    printf "virtual_server %s 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 192.168.113.99 8080 {\n    weight 1\n  }\n  real_server 192.168.113.98 8080 {\n    weight 1\n  }\n}\n", vip > conf
  }
  printf "]}\n" > lab_json
}'

# one row: name, milliseconds, processes, writers, note
rows=$work/rows.tsv
: > "$rows"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$rows"; }
# lvslab CLI runs log each program they start (debug "ran"); a writer is any that is not a read
count_runs() {
  # shellcheck disable=SC2016 # JavaScript, not the shell's
  node -e '
    const reads = [/^ipvsadm (-S|-L)/, /^cat /, /^ip (-j|netns list)/, /^ipset (save|list)/, /^iptables-save/, /^sysctl (?!-w)/, /^uname/, /^conntrack -L/];
    let all = 0, writers = 0, ms = 0;
    const byTool = new Map();
    for (const line of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const j = JSON.parse(line);
      if (j.msg !== "ran") continue;
      const argv = j.argv.join(" ");
      all++;
      if (!reads.some((r) => r.test(argv))) writers++;
      ms += j.durationMs;
      const tool = j.argv.filter((w, i) => i === 0 || !["-j", "-d", "-n"].includes(w)).slice(0, 2).join(" ");
      byTool.set(tool, (byTool.get(tool) ?? 0) + j.durationMs);
    }
    const top = [...byTool].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([t, v]) => `${t} ${(v / 1000).toFixed(1)}`).join(", ");
    console.log(`${all}\t${writers}\t${ms}\t${top}`);' "$1"
}
cli() { # name, then the lvslab arguments; one row from its time and its log
  local name=$1 start end runs; shift
  start=$(now_ms)
  in_ns env LVSLAB_LOG_LEVEL=debug node "$lvslab" "$@" --node ds "$work/lab.json" > "$work/out.txt" 2> "$work/log.txt" || fail "lvslab $* failed: $(tail -5 "$work/out.txt" "$work/log.txt")"
  end=$(now_ms)
  IFS=$'\t' read -r -a runs <<< "$(count_runs "$work/log.txt")"
  row "$name" $((end - start)) "${runs[0]}" "${runs[1]}" "$(grep -E '^ds: [0-9]+ change' "$work/out.txt" | tail -1 || true)"
  printf '%s: %.1f s in the %s programs it ran (%s), %.1f s in lvslab (node, the lab, plan, diff, ledger)\n' \
    "$name" "$(awk -v m="${runs[2]}" 'BEGIN { print m / 1000 }')" "${runs[0]}" "${runs[3]}" "$(awk -v t=$((end - start)) -v m="${runs[2]}" 'BEGIN { print (t - m) / 1000 }')" >> "$work/where.txt"
}

echo "== $services virtual services x 2 real servers in network namespace $ns (micro-VM: software emulation)"

start=$(now_ms)
in_ns ipvsadm -R < "$work/rules.txt"
end=$(now_ms)
[ "$(ipvs_lines)" = "$want_lines" ] || fail "ipvsadm -R: /proc/net/ip_vs lists $(ipvs_lines) lines, not $want_lines"
row "bare ipvsadm -R, first" $((end - start)) 1 1 "in the fresh namespace"
in_ns ipvsadm -C
echo "floor, first: $((end - start)) ms"

start=$(now_ms)
ip netns exec "$ns" keepalived --check --dont-fork --log-console --use-file "$work/keepalived.conf" \
  --pid "$work/keepalived.pid" --checkers_pid "$work/checkers.pid" > "$work/keepalived.log" 2>&1 &
keepalived_pid=$! # ip netns exec becomes keepalived (it execs): this is keepalived's pid
until [ "$(ipvs_lines)" -ge "$want_lines" ]; do
  kill -0 "$keepalived_pid" 2> /dev/null || fail "keepalived stopped: $(tail -5 "$work/keepalived.log")"
  [ $(($(now_ms) - start)) -lt $((600000 + services * 100)) ] || fail "keepalived did not load $services services in time"
  sleep 0.2
done
end=$(now_ms)
row "keepalived --check" $((end - start)) 1 1 "until /proc/net/ip_vs listed all, polled every 0.2 s"
kill "$keepalived_pid"; wait "$keepalived_pid" 2> /dev/null || true
keepalived_pid=''
in_ns ipvsadm -C
echo "keepalived: $((end - start)) ms"

cli "lvslab apply from empty" apply
[ "$(ipvs_lines)" = "$want_lines" ] || fail "lvslab apply: /proc/net/ip_vs lists $(ipvs_lines) lines, not $want_lines"
full_ms=$(awk -F'\t' 'END { print $2 }' "$rows")
echo "apply: $full_ms ms"

# virtual service I's first real server (rs1) to weight W in the lab file: one line of the 3N differs
set_weight() {
  local head
  head="{\"name\":\"v$1\",\"vip\":\"$(vip "$1")\",\"port\":80,\"snat\":true,\"realServers\":[{\"node\":\"rs1\",\"port\":8080"
  sed -i "s/${head/[/\\[}}/$head,\"weight\":$2}/" "$work/lab.json"
  grep -qF "$head,\"weight\":$2}" "$work/lab.json" || fail "v$1's weight change was not made in the lab"
}
set_weight 0 2
cli "one real server's weight changed" apply
in_ns ipvsadm -Ln -t "$(vip 0):80" | grep -q '192.168.113.99:8080 *Masq *2 ' || fail "the weight change is not in the kernel"
cli "converged re-run" apply

# the daemon on the applied lab: RSS once converged, then the CPU of its converged runs
ip netns exec "$ns" env LVSLAB_LOG_LEVEL=info node "$lvslabd" --config "$work/lab.json" --node ds --listen off --state-file "$work/state.json" > "$work/daemon.log" 2>&1 &
daemon_pid=$!
state() { node -p "try { const s = JSON.parse(require('fs').readFileSync('$work/state.json', 'utf8')); $1 } catch { '' }"; }
start=$(now_ms)
until [ "$(state 's.converged')" = true ]; do
  kill -0 "$daemon_pid" 2> /dev/null || fail "lvslabd stopped: $(tail -5 "$work/daemon.log")"
  [ $(($(now_ms) - start)) -lt $((600000 + services * 60)) ] || fail "lvslabd did not converge in time"
  sleep 1
done
# utime + stime of the daemon and of the tools it started and waited for, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$daemon_pid/stat"; }
hz=$(getconf CLK_TCK)
sleep 5
c0=$(cpu_ticks) r0=$(state 's.runs') t0=$(now_ms)
sleep "$daemon_seconds"
c1=$(cpu_ticks) r1=$(state 's.runs') t1=$(now_ms)
rss_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")
[ "$(state 's.last.changes.length')" = 0 ] || fail "lvslabd's runs were not converged: $(state 'JSON.stringify(s.last.changes.slice(0, 3))')"

# The same change as the daemon makes it: v1's first real server to weight 3 in the lab file, then
# SIGHUP. lvslabd writes a reload's IPVS changes at once, before its reconcile reads the kernel
# (service/daemon.ts fastReload); its log line gives the signal's time and each part's milliseconds.
set_weight 1 3
kill -HUP "$daemon_pid"
start=$(now_ms)
until grep -q '"msg":"reload: ' "$work/daemon.log"; do
  kill -0 "$daemon_pid" 2> /dev/null || fail "lvslabd stopped: $(tail -5 "$work/daemon.log")"
  grep -q '"msg":"reload refused' "$work/daemon.log" && fail "lvslabd refused the reload: $(grep 'reload refused' "$work/daemon.log" | head -3)"
  [ $(($(now_ms) - start)) -lt $((120000 + services * 20)) ] || fail "lvslabd wrote no reload's changes in time: $(tail -3 "$work/daemon.log")"
  sleep 0.2
done
in_ns ipvsadm -Ln -t "$(vip 1):80" | grep -q '192.168.113.99:8080 *Masq *3 ' || fail "the reload's weight change is not in the kernel"
# shellcheck disable=SC2016 # JavaScript, not the shell's
IFS=$'\t' read -r -a reload <<< "$(grep '"msg":"reload: ' "$work/daemon.log" | tail -1 | node -e '
  const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const t = j.timings, writes = j.steps.length;
  console.log([j.time - t.receivedAt, writes, writes, `${j.msg}: read and checked the lab ${t.readMs} ms, planned ${t.planMs} ms, wrote ${t.applyMs} ms (${j.steps.map((s) => s.step + " " + s.lines + " line" + (s.lines === 1 ? "" : "s")).join(", ")})`].join("\t"));')"
row "lvslabd reload, one weight" "${reload[@]}"
kill "$daemon_pid"; wait "$daemon_pid" 2> /dev/null || true
daemon_pid=''
daemon_runs=$((r1 - r0)) daemon_wall=$((t1 - t0)) daemon_cpu=$(((c1 - c0) * 1000 / hz))

cli "lvslab cleanup" cleanup
[ "$(ipvs_lines)" = 0 ] || fail "lvslab cleanup left $(ipvs_lines) lines in /proc/net/ip_vs"

# The floor again, after the rest: a load into a namespace that has held and flushed the table runs
# slower than the first (the same 30,000 lines in the micro-VM: 8.3 s first, 12.8-13.8 s after), and
# lvslab's apply came after two such flushes. The ratios are against this one; the first is shown too.
start=$(now_ms)
in_ns ipvsadm -R < "$work/rules.txt"
end=$(now_ms)
[ "$(ipvs_lines)" = "$want_lines" ] || fail "ipvsadm -R: /proc/net/ip_vs lists $(ipvs_lines) lines, not $want_lines"
floor_ms=$((end - start))
in_ns ipvsadm -C
echo "floor: $floor_ms ms"

echo
{ printf 'bare ipvsadm -R (floor)\t%s\t1\t1\tafter the rest, as lvslab ran\n' "$floor_ms"; cat "$rows"; } |
  awk -F'\t' -v full="$full_ms" -v floor="$floor_ms" '{ printf "%-34s %9.1f s %8.2fx %8s %9s %9s  %s\n", $1, $2 / 1000, $2 / floor, ($1 ~ /changed|re-run|reload/ ? sprintf("%.1f%%", 100 * $2 / full) : ""), $3, $4, $5 }' |
  { printf "%-34s %11s %9s %8s %9s %9s\n" "$services services x 2 real servers" time "vs floor" "of apply" processes writers; cat; }
echo
cat "$work/where.txt"
echo
echo "lvslabd at $services services: RSS $((rss_kb / 1024)) MB; $daemon_runs converged runs in $((daemon_wall / 1000)) s (schedule: every 5 s, scheduled runs kept to 10% of a core)," \
  "CPU (the daemon and the tools it ran) $((daemon_cpu))ms: $(awk -v c="$daemon_cpu" -v w="$daemon_wall" 'BEGIN { printf "%.0f%%", 100 * c / w }') of one core," \
  "$(awk -v c="$daemon_cpu" -v r="$daemon_runs" 'BEGIN { printf "%.2f", r ? c / r / 1000 : 0 }') CPU s per run"
