import test from 'ava';
import { Writable } from 'node:stream';
import { daemonLogger } from '../../../daemon/log.js';
import { isJournalStream, syslogPriority, withPriority } from '../../../daemon/systemd/journal.js';

/** The lines a daemon logger writes, through pino as production builds it. */
function logged(journal: boolean, write: (log: ReturnType<typeof daemonLogger>) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const log = daemonLogger({ node: 'ds' }, journal, sink);
  log.level = 'trace';
  write(log);
  return lines.join('').split('\n').filter(Boolean);
}

test('under journald each line starts with its syslog priority: fatal 2, error 3, warn 4, info 6, debug 7, trace 7', (t) => {
  const lines = logged(true, (log) => {
    log.fatal('f');
    log.error({ err: new Error('boom') }, 'e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    log.trace('t');
  });
  t.deepEqual(lines.map((l) => /^<(\d)>\{"level":(\d+),/.exec(l)?.slice(1)), [['2', '60'], ['3', '50'], ['4', '40'], ['6', '30'], ['7', '20'], ['7', '10']]);
  // what journald keeps once it has stripped the prefix is the JSON line as before
  t.deepEqual(lines.map((l) => (JSON.parse(l.replace(/^<\d>/, '')) as { msg: string }).msg), ['f', 'e', 'w', 'i', 'd', 't']);
});

test('outside journald the lines stay plain JSON', (t) => {
  const lines = logged(false, (log) => log.warn('w'));
  t.is(lines.length, 1);
  t.regex(lines[0]!, /^\{"level":40,/);
});

test('syslogPriority maps between pino levels too (a custom level rounds down to the one below)', (t) => {
  t.deepEqual([70, 60, 55, 50, 45, 40, 35, 30, 25, 20, 10, 0].map(syslogPriority), [2, 2, 3, 3, 4, 4, 6, 6, 7, 7, 7, 7]);
});

test('withPriority leaves a line that does not start with a level alone', (t) => {
  t.is(withPriority('{"msg":"x","level":40}\n'), '{"msg":"x","level":40}\n');
  t.is(withPriority('plain text\n'), 'plain text\n');
  t.is(withPriority('{"level":40}\n'), '<4>{"level":40}\n');
});

test('isJournalStream: JOURNAL_STREAM "device:inode" must match the descriptor', (t) => {
  t.true(isJournalStream('64768:12345', { dev: 64768, ino: 12345 }));
  t.true(isJournalStream('64768:12345', { dev: 64768n, ino: 12345n }));
  t.false(isJournalStream('64768:12345', { dev: 64768, ino: 12346 }), 'stdout redirected elsewhere: another inode');
  t.false(isJournalStream(undefined, { dev: 64768, ino: 12345 }));
  t.false(isJournalStream('', { dev: 0, ino: 0 }));
  t.false(isJournalStream('64768:12345:1', { dev: 64768, ino: 12345 }));
});
