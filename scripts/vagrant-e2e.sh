#!/usr/bin/env bash
# The lab as five real VMs, booted by Vagrant (libvirt) from the local box, end to end. Run as root from
# anywhere:   bash scripts/vagrant-e2e.sh
#   1. the box: scripts/vagrant-box.sh (built once, then reused); libvirt started if it is not running
#   2. vagrant up of labs/ha.yaml: the reference lab (with its HTTP health check) and a second director,
#      ds2; keepalived and conntrackd running on both directors (their own units), one of them master
#      (it alone holds the VIP and the floating address; the first started, made ds by restarting ds2's
#      keepalived when it was ds2), IPVS's sync daemons in their roles
#      (LVSLAB_BOX=local: provisioning needs no network)
#   3. vagrant ssh client -c 'sudo lvslab verify': PASS, with the conntrack tuples of the client and,
#      through its status API, of the director
#   3b. lvslab drill failover, run here with the ssh config Vagrant writes: the client's new and held
#      connections through the master, its keepalived stopped, the other director holding the VIP and
#      the floating address (the drill's verdict; over 3 s, both directors' keepalived and lvslabd lines
#      are printed), its conntrackd committed (notify log), every held connection answering after, the
#      old master's keepalived started again and it staying backup (no preemption); on a failure, both
#      directors' keepalived and lvslabd say why; then ds2 destroyed: ds master. First after verify, on
#      a lab that does nothing else, and the steps below run on four VMs: a director idles at a third of
#      an emulated CPU (keepalived's track script, lvslabd), and the five VMs share two cores
#   4. vagrant provision again (ds, client, rs1, rs2): every node says "no change", and the lvslabd PIDs
#      stay the same
#   5. vagrant halt rs1: rs1 at weight 0 on the director once the health check's fall (2 failed
#      checks) is reached, written at once (ds's journal); the time from rs1 going silent to weight 0
#      as seen from this machine (.1 on the lab network) is printed; verify fails, rs1 answering none,
#      and names the cause from ds's status API (rs1's health check down)
#   6. vagrant up rs1: back at weight 1, verify passes again
#   7. the same VMs (ds2 gone) in TUN (LVSLAB_LAB=labs/tun.yaml vagrant provision; DR is left to the micro-VM): each
#      node leaves its old lab (its cleanup, and ds's keepalived and conntrackd stopped) for the new one;
#      verify passes, reads each request as that mode forwards it, and the real servers saw the client's
#      own address
#   8. systemd-networkd restarted on the client keeps the management address (what Vagrant does after
#      setting a hostname, just before it rsyncs the synced folder over that address)
#   9. vagrant destroy -f: no domain, volume or network of the lab left in libvirt
# Prints the time of each step and ends with "vagrant-e2e: PASS" (exit 0) or the failing step (exit 1).
# The VMs' networks forward nowhere: no traffic leaves this machine.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# the reference lab and a backup director; its health check must take a halted real server out of the rotation
export LVSLAB_BOX=local LVSLAB_LAB=labs/ha.yaml
export VAGRANT_DEFAULT_PROVIDER=libvirt VAGRANT_CHECKPOINT_DISABLE=1
virsh=(virsh -q -c qemu:///system)
# the lab's health check: interval 2 s, timeout 1 s, fall 2; a
# failing server is checked again 1 s after a failure. Its fall time, the longest a server that stopped
# answering can keep its weight: the next check up to one interval away, then fall failed checks.
fall_time_s=$((2 + 2 * (1 + 1)))

work=$(mktemp -d /tmp/lvslab-vagrant.XXXXXX)
step_started=$SECONDS
step_name=""
times=()
step() { step_name=$1; step_started=$SECONDS; echo "== $1"; }
# each line of a command's output with the seconds since its step began: where a step's time goes
stamped() { local line; while IFS= read -r line; do printf '%4d s %s\n' $((SECONDS - step_started)) "$line"; done; }
# a Vagrant log's milestones per VM: box upload, domain start, boot done (SSH), folder synced, provisioned
milestones() {
  grep -E '==> [a-z0-9]+: (Creating image|Starting domain|Machine booted|Rsyncing|Running provisioner|Attempting graceful shutdown|Halting domain)|provision [a-z0-9-]+: (done|no change)' "$1" |
    sed -E 's/^( *[0-9]+ s ).*(==> )/\1/; s/^( *[0-9]+ s ) *[a-z0-9]+: (provision )/\1\2/; s/^/   /' | cut -c1-110 || true
}
done_step() { times+=("$(printf '%-52s %4d s' "$step_name" $((SECONDS - step_started)))"); echo "   ($((SECONDS - step_started)) s)"; }
print_times() { echo "== times"; printf '   %s\n' "${times[@]}"; }
fail() {
  echo "vagrant-e2e: FAIL at '$step_name': $*" >&2
  exit 1
}
# Tears the lab down whatever happened (a destroy that already ran finds nothing to do).
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    echo "-- the lab is being destroyed after the failure" >&2
    timeout 600 vagrant destroy -f >/dev/null 2>&1 || true
    [ "${#times[@]}" = 0 ] || print_times
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "vagrant-e2e: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

[ "$(id -u)" = 0 ] || { echo "vagrant-e2e: run as root (libvirt's system instance)" >&2; exit 2; }
for tool in vagrant:vagrant virsh:libvirt-clients libvirtd:libvirt-daemon-system qemu-system-x86_64:qemu-system-x86 ssh:openssh-client; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || { echo "vagrant-e2e: ${tool%%:*} is missing (apt-get install ${tool#*:} vagrant-libvirt)" >&2; exit 2; }
done
vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt' ||
  { echo "vagrant-e2e: the vagrant-libvirt plugin is missing (apt-get install vagrant-libvirt)" >&2; exit 2; }
if [ ! -f dist/bin/lvslab.js ] || [ ! -d dist/node_modules/unix-dgram ]; then
  echo "vagrant-e2e: no build in dist/ (npm run build): the VMs install it from the synced folder" >&2; exit 2
fi

# -- 1 ------------------------------------------------------------------------------------------------
step "libvirt running"
if ! "${virsh[@]}" version >/dev/null 2>&1; then
  if [ "$(cat /proc/1/comm)" = systemd ]; then
    systemctl start libvirtd.service
  else
    # no systemd here (a container): the daemons themselves, as their units would start them
    pgrep -x virtlogd >/dev/null || virtlogd -d
    pgrep -x libvirtd >/dev/null || libvirtd -d
  fi
  for _ in $(seq 50); do "${virsh[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
  "${virsh[@]}" version >/dev/null 2>&1 || fail "libvirtd did not answer on qemu:///system"
fi
done_step

step "box lvslab/debian13 (scripts/vagrant-box.sh)"
bash scripts/vagrant-box.sh
done_step

# what libvirt holds before: destroy must leave exactly that (the box's image in the pool stays: it is
# the box, uploaded once by vagrant-libvirt)
box_volumes=lvslab-VAGRANTSLASH-debian13_vagrant_box_image_0_
inventory() {
  { "${virsh[@]}" list --all --name; "${virsh[@]}" net-list --all --name
    { "${virsh[@]}" vol-list --pool default 2>/dev/null || true; } | awk '{print $1}'; } | sed '/^$/d' | { grep -v "^$box_volumes" || true; } | sort
}
prefix="$(basename "$PWD")_"
if "${virsh[@]}" list --all --name | grep -q "^$prefix"; then
  echo "vagrant-e2e: libvirt already has domains $prefix*: a lab from this folder is up (vagrant destroy -f first)" >&2
  exit 2
fi
inventory > "$work/before"

# -- 2 ------------------------------------------------------------------------------------------------
step "vagrant up (5 VMs: labs/ha.yaml)"
timeout 5400 vagrant up 2>&1 | stamped > "$work/up.log" || { tail -n 40 "$work/up.log"; fail "vagrant up failed (above)"; }
grep -E 'provision [a-z0-9-]+: (changed|installing|packages)' "$work/up.log" | sed -E 's/^ *[0-9]+ s *[a-z0-9]+: /   /' | cut -c1-160 || true
milestones "$work/up.log"
done_step

vagrant ssh-config > "$work/ssh.cfg" 2>/dev/null
# one command on a VM over plain ssh (vagrant ssh starts Ruby each time): for polling
on() { local vm=$1; shift; timeout 60 ssh -F "$work/ssh.cfg" -o LogLevel=ERROR "$vm" "$@"; }
# the floating addresses (the VIP, and 192.168.113.110) a director holds outside lvslab's own lvslab0
# (where a DR director keeps its VIP), space-separated, sorted
holds() { on "$1" ip -4 -o addr show | awk '$2 != "lvslab0" { split($4, a, "/"); print a[1] }' | { grep -xE '10\.10\.0\.1|192\.168\.113\.110' || true; } | sort | xargs; }
floating="10.10.0.1 192.168.113.110"
for n in ds ds2; do
  for svc in conntrackd keepalived; do
    [ "$(on "$n" systemctl is-active "$svc")" = active ] || fail "$svc is not active on $n"
  done
done
# one director master: the first whose keepalived ran (the VMs are provisioned in parallel, and with
# nopreempt a director that starts later stays backup whatever its priority)
master() { local a b; a=$(holds ds) b=$(holds ds2); if [ "$a" = "$floating" ] && [ -z "$b" ]; then echo ds; elif [ "$b" = "$floating" ] && [ -z "$a" ]; then echo ds2; fi; }
wait_s=0
while [ -z "$(master)" ] && [ "$wait_s" -lt 60 ]; do sleep 1; wait_s=$((wait_s + 1)); done
first=$(master)
echo "   ds holds: '$(holds ds)'; ds2 holds: '$(holds ds2)' (keepalived and conntrackd active on both)"
[ -n "$first" ] || fail "not exactly one director holds the VIP and the floating address"
if [ "$first" = ds2 ]; then
  # the steps below read the director's state from ds: ds2's keepalived restarted hands master to ds
  # (stopping, it sends priority 0; ds, the only one left, takes over; ds2 comes back as backup)
  echo "   ds2's keepalived started first, so ds2 is master: restarting it hands master to ds"
  on ds2 sudo systemctl restart keepalived
  wait_s=0
  while [ "$(master)" != ds ] && [ "$wait_s" -lt 60 ]; do sleep 1; wait_s=$((wait_s + 1)); done
  [ "$(master)" = ds ] || fail "ds did not take master from ds2"
  echo "   ds holds: '$(holds ds)'; ds2 holds: '$(holds ds2)'"
else
  echo "   ds's keepalived started first: ds is master"
fi
on ds sudo ipvsadm -L --daemon | grep -q '^master sync daemon (mcast=[a-z0-9]*, syncid=51' || fail "ds runs no master sync daemon: $(on ds sudo ipvsadm -L --daemon)"
on ds2 sudo ipvsadm -L --daemon | grep -q '^backup sync daemon (mcast=[a-z0-9]*, syncid=51' || fail "ds2 runs no backup sync daemon: $(on ds2 sudo ipvsadm -L --daemon)"
echo "   sync daemons: ds $(on ds sudo ipvsadm -L --daemon | cut -d' ' -f1-3), ds2 $(on ds2 sudo ipvsadm -L --daemon | cut -d' ' -f1-3)"
# (after the drill: ds2 is destroyed once the drill is done)
pids() { local n; for n in ds client rs1 rs2; do printf '%s=%s ' "$n" "$(on "$n" systemctl show -p MainPID --value "lvslabd@$n")"; done; }
# rs1's weight on the director (empty when ds has no such destination)
rs1_weight() { on ds sudo ipvsadm -Ln -t 10.10.0.1:8410 | awk '$2 == "192.168.113.99:8080" {print $4}'; }
# output quoted under its step
quote() { sed 's/^/   | /'; }
# verify from the client, as a user types it; prints its output, returns its exit code
verify() { timeout 300 vagrant ssh client -c 'sudo lvslab verify' 2>&1; }
# verify until it passes (a health check can hold a real server at weight 0 for a while after a boot)
verify_passes() {
  local i out
  for i in $(seq 10); do
    if out=$(verify); then echo "$out"; return 0; fi
    echo "   (verify attempt $i did not pass yet)"; sleep 5
  done
  echo "$out"; return 1
}

# -- 3 ------------------------------------------------------------------------------------------------
step "verify from the client"
out=$(verify_passes) || { echo "$out"; fail "verify did not pass"; }
echo "$out" | quote
grep -q 'verify: PASS' <<< "$out" || fail "no 'verify: PASS'"
# every probe's flow on the client; on ds, read through its status API at the end, the flows IPVS still
# keeps (a slow run can outlast the first probes' entries there, which verify accepts)
grep -Eq 'conntrack: flows of ([0-9]+)/\1 probes on client, [1-9][0-9]*/[0-9]+ on ds' <<< "$out" ||
  fail "verify did not read every probe's flow on the client, or none on ds (status API)"
done_step

# `vagrant provision` of every VM at once, a vagrant process per VM: `vagrant provision` alone runs them
# one after the other, about a minute each under emulation when the lab changes (DR: 261 s in turn,
# 174 s at once). Their outputs go to LOG one VM after the
# other; returns 1 (after the tail of the failed ones' output) when one failed.
provision_all() {
  local log=$1 n i=0 pids=() failed=()
  for n in ds client rs1 rs2; do
    { timeout 1200 vagrant provision "$n" 2>&1 | stamped > "$log.$n"; } &
    pids+=("$!")
  done
  for n in ds client rs1 rs2; do
    wait "${pids[$i]}" || failed+=("$n")
    i=$((i + 1))
    cat "$log.$n" >> "$log"
  done
  [ "${#failed[@]}" -eq 0 ] && return 0
  for n in "${failed[@]}"; do echo "-- vagrant provision $n failed:"; tail -n 20 "$log.$n"; done
  return 1
}

# -- 3b -----------------------------------------------------------------------------------------------
step "lvslab drill failover from this machine (over ssh): the backup takes over; the old master stays backup; ds2 destroyed"
ask() { on client curl -sS -m 2 -o /dev/null -w '%{http_code}' http://10.10.0.1:8410/ 2>/dev/null || true; }
# the drill as a user runs it on the Vagrant host: the client's load, ds's keepalived stopped and started
# again, each director's addresses followed by ip monitor, all over ssh with the config Vagrant writes
# each director's keepalived on its states and track script, and its lvslabd's warnings and errors (a
# failed run makes /healthz answer 503, which the track script counts): why a director was or was not master
directors_said() {
  local d
  for d in ds ds2; do
    echo "   $d's keepalived since the drill began (states, track script):"
    on "$d" sudo journalctl -u keepalived --since=-5min -o short-precise --no-pager |
      grep -E 'STATE|Script|Stopp|Start' | grep -v 'already running' | tail -n 12 | quote || true
    echo "   $d's lvslabd, its warnings and errors:"
    on "$d" sudo journalctl -u "lvslabd@$d" --since=-5min -p warning -o cat --no-pager | tail -n 5 | cut -c1-300 | quote || true
  done
}
echo "   master before the drill: ds holds '$(holds ds)', ds2 holds '$(holds ds2)'"
# A new connection every 250 ms, not the default 100: each one crosses the master, its conntrackd and
# sync daemon, and a real server, all emulated VMs sharing two cores. In CI's run of 0414972, at 10 a
# second, the backup went FAULT (its track script timed out 3 times in a row) 22 s before the master was
# stopped, then came back and took the VIP while the master still held it: the drill failed, rightly
drill=$(timeout 600 node dist/bin/lvslab.js drill failover labs/ha.yaml --ssh-config "$work/ssh.cfg" --every 250 2>&1) ||
  { echo "$drill" | quote; directors_said; fail "lvslab drill failover did not pass"; }
echo "$drill" | quote
moved=$(sed -nE 's/^  [a-z0-9-]+ held the floating addresses ([0-9.]+) s after.*/\1/p' <<< "$drill")
outage=$(sed -nE 's/^  new connections: .*; outage ([0-9.]+) s$/\1/p' <<< "$drill")
if [ -z "$moved" ] || [ -z "$outage" ]; then fail "the drill's output has no takeover time or outage"; fi
# The drill's own verdict is the assertion here (the backup took over within 20 s, the VIP never on
# both, every held connection answered, no preemption). The issue's 3 s bound is the micro-VM's tests':
# on these five emulated VMs the backup can be in FAULT when the master goes (its track script timed out
# under load: 13.7 s to take over in a run of 12ce5a0, keepalived's lines below say when that happens)
if ! node -e 'process.exit(Number(process.argv[1]) <= 3 ? 0 : 1)' "$moved"; then
  echo "   the backup took ${moved} s to hold the floating addresses (more than 3 s): each director's keepalived and lvslabd say why"
  directors_said
fi
# the new master: whichever director holds the floating addresses now (the drill took the other away)
new_master=ds2; [ "$(holds ds)" = "$floating" ] && new_master=ds
echo "   $new_master held the floating addresses ${moved} s after the first address change; new connections' outage ${outage} s"
on "$new_master" sudo tail -n 4 /var/log/lvslab-conntrackd-notify.log | quote
on "$new_master" "sudo grep -q 'primary: conntrackd -c exited 0' /var/log/lvslab-conntrackd-notify.log" || fail "$new_master's notify log has no commit (conntrackd -c) on becoming master"
# ds2 goes before the DR and TUN labs, which have one director: ds takes over (3 adverts of silence)
timeout 600 vagrant destroy -f ds2 > "$work/destroy-ds2.log" 2>&1 || { cat "$work/destroy-ds2.log"; fail "vagrant destroy ds2 failed"; }
destroyed=$SECONDS
while [ "$(holds ds)" != "$floating" ] && [ $((SECONDS - destroyed)) -le 60 ]; do sleep 0.5; done
echo "   ds2 destroyed; ds holds $(holds ds) $((SECONDS - destroyed)) s after"
[ "$(holds ds)" = "$floating" ] || fail "ds did not take master back once ds2 was gone"
[ "$(ask)" = 200 ] || fail "the VIP does not answer through ds"
done_step

# -- 4 ------------------------------------------------------------------------------------------------
step "vagrant provision again (no change)"
before=$(pids)
# one after the other, as a user runs it: with nothing to change, four vagrant processes at once took
# longer (174 s) than in turn (134 s), each starting Ruby on the two cores
timeout 1200 vagrant provision ds client rs1 rs2 2>&1 | stamped > "$work/provision.log" || { tail -n 40 "$work/provision.log"; fail "vagrant provision failed"; }
milestones "$work/provision.log"
for n in ds client rs1 rs2; do
  grep -q "provision $n: no change (lvslabd@$n.service active" "$work/provision.log" ||
    { grep "provision $n:" "$work/provision.log"; fail "$n's provisioning changed something"; }
done
after=$(pids)
echo "   lvslabd PIDs before: $before"
echo "   lvslabd PIDs after:  $after"
[ "$before" = "$after" ] || fail "an lvslabd was restarted"
done_step

# -- 5 ------------------------------------------------------------------------------------------------
step "vagrant halt rs1 (weight 0 after fall = 2 failed checks)"
[ "$(rs1_weight)" = 1 ] || fail "rs1's weight was $(rs1_weight) before the halt"
# From this machine (.1 on the lab network), every 250 ms: when rs1's HTTP stopped answering, and when
# the director's status API first showed rs1 unhealthy and at weight 0 in its kernel. Watched until both
# happened: ds's checks (1 s timeout, from an emulated VM) can fail while rs1, slow in its shutdown, still
# answers this machine (CI's run of 15276a4: weight 0 seen in the same round as an answer from rs1).
node --input-type=module -e "$(cat <<'JS'
const t0 = Date.now(), seen = {};
const at = (k) => { seen[k] ??= Date.now() - t0; };
const get = async (url) => { const r = await fetch(url, { signal: AbortSignal.timeout(900) }); if (!r.ok) throw new Error(String(r.status)); return r; };
let failedInARow = 0;
while (Date.now() - t0 < 300_000 && (seen.weight0 === undefined || failedInARow < 3)) {
  const tick = Date.now();
  // silent: the first failure after rs1's last answer; it counts once 3 requests in a row failed
  await get('http://192.168.113.99:8080/').then(
    () => { seen.lastAnswer = Date.now() - t0; delete seen.silent; failedInARow = 0; },
    () => { at('silent'); failedInARow += 1; });
  try {
    const state = await (await get('http://192.168.113.101:9410/v1/state')).json();
    const rs1 = state.virtualServers.flatMap((v) => v.realServers).find((r) => r.node === 'rs1');
    if (rs1?.healthy === false) at('unhealthy');
    if (rs1?.weight === 0) at('weight0');
  } catch {}
  await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - tick))));
}
if (failedInARow < 3) delete seen.silent;
console.log(JSON.stringify(seen));
JS
)" > "$work/watch.json" &
watcher=$!
halt_started=$SECONDS
timeout 600 vagrant halt rs1 > "$work/halt.log" 2>&1 || { cat "$work/halt.log"; fail "vagrant halt rs1 failed"; }
echo "   the halt took $((SECONDS - halt_started)) s"
"${virsh[@]}" domstate "${prefix}rs1" | grep -q 'shut off' || fail "rs1's domain is not shut off after the halt"
wait "$watcher" || true
watched=$(cat "$work/watch.json")
echo "   ms after the halt began: $watched (rs1's last answer here; rs1 silent; ds: rs1 unhealthy; ds: rs1 at weight 0)"
# In ds's own terms, which do not depend on how much CPU the emulated VMs got: the transition came
# after exactly `fall` (2) failed checks, and its weight went to the kernel at once (keepalived's way).
on ds sudo journalctl -u lvslabd@ds --since=-10min -o short-iso-precise --no-pager > "$work/ds.journal"
ms() { node -e "const w = JSON.parse(process.argv[1]); console.log(w[process.argv[2]] ?? -1)" "$watched" "$1"; }
silent=$(ms silent) zero=$(ms weight0)
if [ "$silent" -lt 0 ] || [ "$zero" -lt 0 ]; then
  grep -E 'rs1 192\.168\.113\.99:8080' "$work/ds.journal" | tail -n 5 | quote
  fail "rs1 did not go silent, or never reached weight 0: $watched"
fi
if [ "$zero" -ge "$silent" ]; then
  echo "   rs1 at weight 0 $((zero - silent)) ms after it went silent (seen from here; the fall time is ${fall_time_s} s)"
else
  echo "   rs1 at weight 0 $((silent - zero)) ms before it stopped answering here: ds's checks failed first (their reason below)"
fi
# the last line of ds's journal matching PATTERN, quoted; fails naming WHAT when there is none
journal_line() {
  local line
  line=$(grep -E "$1" "$work/ds.journal" | tail -n 1) || true
  [ -n "$line" ] || fail "ds's journal has no $2"
  quote <<< "$line"
}
journal_line 'rs1 192\.168\.113\.99:8080 \(web\) DOWN after 2 failures' "'rs1 ... DOWN after 2 failures'"
journal_line 'rs1 192\.168\.113\.99:8080: weight 0 written directly' "direct write of rs1's weight 0"
[ "$(rs1_weight)" = 0 ] || fail "ipvsadm on ds shows rs1 at weight $(rs1_weight)"
out=$(verify) && fail "verify passed with rs1 down: $out"
echo "$out" | quote
grep -Eq 'answered — rs1 0, rs2 [0-9]+' <<< "$out" || fail "verify's failure does not show rs1 answering none"
# the cause, from ds's status API (the client cannot curl rs1 from ds, nor read ds's tables)
grep -q "health check finds real server rs1 at 192.168.113.99:8080 down" <<< "$out" || fail "verify does not name rs1's failed health check as the cause"
done_step

# -- 6 ------------------------------------------------------------------------------------------------
step "vagrant up rs1 (back in rotation)"
timeout 1200 vagrant up rs1 2>&1 | stamped > "$work/up-rs1.log" || { tail -n 40 "$work/up-rs1.log"; fail "vagrant up rs1 failed"; }
milestones "$work/up-rs1.log"
up_done=$SECONDS
weight=$(rs1_weight)
while [ "$weight" != 1 ] && [ $((SECONDS - up_done)) -le 120 ]; do sleep 1; weight=$(rs1_weight); done
echo "   rs1 at weight ${weight:-none} $((SECONDS - up_done)) s after vagrant up returned"
[ "$weight" = 1 ] || fail "rs1 did not come back to weight 1"
out=$(verify_passes) || { echo "$out"; fail "verify did not pass with rs1 back"; }
grep -m1 'verify: PASS' <<< "$out" | quote
done_step

# -- 7 ------------------------------------------------------------------------------------------------
# The article's TUN mode on the same VMs: provision.sh stops each node's lvslabd and runs the old lab's
# cleanup (another lab name; on ds, keepalived and conntrackd stopped too), then installs and starts
# lvslabd with the new lab (an ipip lvslab0 with the VIP on the real servers, -i on the director). DR,
# the other mode without SNAT, is left to the micro-VM's e2e tests: on these emulated VMs a lab switch
# takes about 170 s of the suite's budget.
step "LVSLAB_LAB=labs/tun.yaml vagrant provision, then verify"
LVSLAB_LAB=labs/tun.yaml provision_all "$work/provision-tun.log" || fail "vagrant provision of labs/tun.yaml failed"
milestones "$work/provision-tun.log"
for n in ds client rs1 rs2; do
  grep -q "provision $n: this node moves from lab [a-z0-9-]* to lab tun" "$work/provision-tun.log" ||
    { grep "provision $n:" "$work/provision-tun.log"; fail "$n did not leave its old lab for tun"; }
done
grep -q "provision ds: ds is not a director of an HA lab: stopping keepalived.service" "$work/provision-tun.log" ||
  { grep "provision ds:" "$work/provision-tun.log"; fail "ds's keepalived was not stopped on leaving the HA lab"; }
[ -z "$(holds ds)" ] || fail "ds still holds $(holds ds) on the lab link after keepalived stopped"
out=$(verify_passes) || { echo "$out"; fail "verify did not pass on labs/tun.yaml"; }
grep -E '^(web|  client|  conntrack|  traffic)' <<< "$out" | head -n 4 | cut -c1-220 | quote
grep -q "IPVS encapsulated it in IP-in-IP" <<< "$out" || fail "verify does not read the tun flows as TUN"
grep -q "which saw the client's own address 192\.168\.113\.102" <<< "$out" || fail "the real servers did not see the client's own address (TUN: no SNAT)"
done_step

# -- 8 ------------------------------------------------------------------------------------------------
# Last before destroy: networkd, when it starts, also removes the routes its .network files do not name
# (networkd.conf's ManageForeignRoutes=, default yes), which would take lvslab's VIP route off the client
# until the daemon's next run puts it back.
step "systemd-networkd restarted on the client: the management address stays"
addrs=$(on client sudo sh -s <<'EOF'
ip -4 -o addr show scope global | awk '{print $2, $4}'
systemctl restart systemd-networkd
echo restarted
ip -4 -o addr show scope global | awk '{print $2, $4}'
EOF
) || fail "ssh to the client failed around the restart: $addrs"
before_restart=${addrs%%$'\n'restarted*}
after_restart=${addrs#*restarted$'\n'}
echo "   before: ${before_restart//$'\n'/, }"
echo "   after:  ${after_restart//$'\n'/, }"
if [ -z "$before_restart" ] || [ "$before_restart" != "$after_restart" ]; then
  fail "the client's addresses differ right after systemctl restart systemd-networkd (the box's KeepConfiguration)"
fi
done_step

# -- 9 ------------------------------------------------------------------------------------------------
step "vagrant destroy -f (nothing left)"
timeout 600 vagrant destroy -f > "$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; fail "vagrant destroy failed"; }
inventory > "$work/after"
if ! diff -u "$work/before" "$work/after" > "$work/left" 2>&1; then
  cat "$work/left"; fail "libvirt holds something it did not hold before vagrant up (diff above)"
fi
echo "   libvirt holds what it held before: $(wc -l < "$work/after") domain(s), network(s) and volume(s)"
done_step

print_times
echo "vagrant-e2e: PASS"
