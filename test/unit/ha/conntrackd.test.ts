/**
 * conntrackd in an HA lab (ha/conntrackd-conf.ts, ha/conntrackd-read.ts): each director's
 * conntrackd.conf for labs/ha.yaml, the notify script keepalived runs (run here by sh, with a stand-in
 * conntrackd that records its arguments), and the parsers of what a running conntrackd says, on output
 * captured from Debian's conntrackd 1.4.7 (test/fixtures/conntrackd/).
 */
import test from 'ava';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { conntrackdConf, conntrackdNotifyScript, type ConntrackdFiles } from '../../../daemon/ha/conntrackd-conf.js';
import { conntrackdEstablishedTo, parseConntrackdStats } from '../../../daemon/ha/conntrackd-read.js';
import { createRunner } from '../../../daemon/kernel/runner.js';
import { ToolError } from '../../../daemon/kernel/tool-error.js';
import { labFrom } from '../plan/helpers.js';
import { tempDir } from '../temp-dir.js';

const ha = labFrom('labs/ha.yaml');
const filesOf = (node: string): ConntrackdFiles => {
  const at = (suffix: string) => `/run/lvslab/ha/${node}.${suffix}`;
  return { conf: at('conntrackd.conf'), lock: at('conntrackd.lock'), socket: at('conntrackd.sock'), notifyLog: at('conntrackd-notify.log') };
};

const DS_CONF = `# lvslab: conntrackd for director ds of lab ha. Written by lvslab from the lab file;
# edits here are overwritten. keepalived runs the notify script beside this file on each VRRP state change.
Sync {
  Mode FTFW {
  }
  UDP {
    IPv4_address 192.168.113.101
    IPv4_Destination_Address 192.168.113.103
    Port 3780
    Interface eth0
    SndSocketBuffer 1249280
    RcvSocketBuffer 1249280
    Checksum on
  }
}

General {
  Systemd off
  HashSize 32768
  HashLimit 131072
  Syslog off
  LogFile off
  LockFile /run/lvslab/ha/ds.conntrackd.lock
  UNIX {
    Path /run/lvslab/ha/ds.conntrackd.sock
  }
  NetlinkBufferSize 2097152
  NetlinkBufferSizeMaxGrowth 8388608
  Filter From Userspace {
    Protocol Accept {
      TCP
      UDP
    }
    Address Ignore {
      IPv4_address 127.0.0.1
      IPv4_address 192.168.113.101
      IPv4_address 192.168.113.103
    }
  }
}
`;

test("ds's conntrackd.conf for labs/ha.yaml is exactly the golden text: FTFW over UDP from ds's lab address to ds2's on eth0, its own lock and socket, the directors' own addresses ignored", (t) => {
  t.is(conntrackdConf(ha, 'ds', { interface: 'eth0', files: filesOf('ds'), underSystemd: false }), DS_CONF);
});

test("ds2's conntrackd.conf is ds's with the two lab addresses swapped and ds2's own lock and socket", (t) => {
  const ds2 = conntrackdConf(ha, 'ds2', { interface: 'eth0', files: filesOf('ds2'), underSystemd: false });
  const expected = DS_CONF.replace('director ds of', 'director ds2 of')
    .replace('IPv4_address 192.168.113.101\n    IPv4_Destination_Address 192.168.113.103', 'IPv4_address 192.168.113.103\n    IPv4_Destination_Address 192.168.113.101')
    .replace('IPv4_address 192.168.113.101\n      IPv4_address 192.168.113.103', 'IPv4_address 192.168.113.103\n      IPv4_address 192.168.113.101')
    .replaceAll('/ha/ds.', '/ha/ds2.');
  t.is(ds2, expected);
});

test('conntrackdConf throws for a node that is not one of the two directors, and for a lab without ha', (t) => {
  t.throws(() => conntrackdConf(ha, 'client', { interface: 'eth0', files: filesOf('client'), underSystemd: false }), { message: "node 'client' is not one of HA lab 'ha''s two directors" });
  t.throws(() => conntrackdConf(labFrom('labs/seed.yaml'), 'ds', { interface: 'eth0', files: filesOf('ds'), underSystemd: false }), { message: "node 'ds' is not one of HA lab 'seed''s two directors" });
});

// the notify script, run by sh with a stand-in conntrackd: it appends its arguments to the file CALLS
// names and exits 1 when its last argument is in FAIL (both environment variables), else 0
const dir = tempDir('lvslab-conntrackd-');
const fake = join(dir, 'conntrackd');
writeFileSync(fake, '#!/bin/sh\necho "$*" >> "$CALLS"\nfor f in $FAIL; do [ "$f" = "$3" ] && exit 1; done\nexit 0\n');
chmodSync(fake, 0o755);
const runner = createRunner({ log: pino({ level: 'silent' }), defaultTimeoutMs: 10_000 });

async function notify(state: string, fail = ''): Promise<{ exitCode: number | undefined; calls: string[]; log: string }> {
  const name = `notify-${state}-${fail || 'none'}`;
  const files = { ...filesOf('ds'), conf: join(dir, 'ds.conntrackd.conf'), notifyLog: join(dir, `${name}.log`) };
  const script = join(dir, `${name}.sh`);
  const calls = join(dir, `${name}.calls`);
  writeFileSync(script, conntrackdNotifyScript(ha, 'ds', fake, files));
  chmodSync(script, 0o755);
  writeFileSync(calls, '');
  writeFileSync(files.notifyLog, '');
  const result = await runner.run(['env', `FAIL=${fail}`, `CALLS=${calls}`, script, state]).catch((e: unknown) => {
    if (e instanceof ToolError) return { exitCode: e.exitCode };
    throw e;
  });
  return { exitCode: result.exitCode, calls: readFileSync(calls, 'utf8').trim().split('\n').filter((l) => l !== ''), log: readFileSync(files.notifyLog, 'utf8') };
}

test('notify primary (keepalived: master) commits the external cache, flushes both caches, resyncs from the kernel and sends a bulk update, in that order; exit 0', async (t) => {
  const r = await notify('primary');
  t.is(r.exitCode, 0);
  t.deepEqual(r.calls, ['-c', '-f', '-R', '-B'].map((a) => `-C ${join(dir, 'ds.conntrackd.conf')} ${a}`));
  t.deepEqual(r.log.trim().split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, '')),
    ['-c', '-f', '-R', '-B'].map((a) => `primary: conntrackd ${a} exited 0`));
});

test('notify backup shortens the kernel timers and asks the master for its entries (-t, -n); fault shortens the timers only (-t)', async (t) => {
  t.deepEqual((await notify('backup')).calls.map((c) => c.split(' ').at(-1)), ['-t', '-n']);
  t.deepEqual((await notify('fault')).calls.map((c) => c.split(' ').at(-1)), ['-t']);
});

test('a failing conntrackd command is logged with its status, the rest still run, and the script exits 1', async (t) => {
  const r = await notify('primary', '-f');
  t.is(r.exitCode, 1);
  t.deepEqual(r.calls.map((c) => c.split(' ').at(-1)), ['-c', '-f', '-R', '-B']);
  t.regex(r.log, /primary: conntrackd -f exited 1\n/);
});

test('an unknown state runs no conntrackd command and exits 2', async (t) => {
  const r = await notify('master');
  t.is(r.exitCode, 2);
  t.deepEqual(r.calls, []);
});

const fixture = (name: string) => readFileSync(`test/fixtures/conntrackd/${name}`, 'utf8');

test('parseConntrackdStats reads the internal and external cache sizes of conntrackd -s (the backup with 3 entries from the master)', (t) => {
  t.deepEqual(parseConntrackdStats(fixture('stats.txt')), { internal: 0, external: 3 });
});

test('parseConntrackdStats throws naming the cache it did not find', (t) => {
  t.throws(() => parseConntrackdStats('cache internal:\ncurrent active connections:\t 4\n'), { message: /^conntrackd -s: no "current active connections" for the external cache in / });
  t.throws(() => parseConntrackdStats(''), { message: /for the internal cache/ });
});

test('conntrackdEstablishedTo counts ESTABLISHED TCP entries to the VIP and port in conntrackd -e ct, not TIME_WAIT, not UDP, not another port or address', (t) => {
  const text = fixture('external-ct.txt');
  t.is(conntrackdEstablishedTo(text, '10.10.0.1', 8410), 1);
  t.is(conntrackdEstablishedTo(text, '10.10.0.1', 8411), 0);
  t.is(conntrackdEstablishedTo(text, '10.10.0.2', 8410), 0);
  t.is(conntrackdEstablishedTo('', '10.10.0.1', 8410), 0);
});
