/** Blocklist entries read from a file (entriesFile): comments, blank lines, FILE:LINE problems, limits. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadLab, parseLab } from '../../../daemon/config/load.js';
import { MAX_ENTRIES_FILE_BYTES } from '../../../daemon/config/limits.js';
import { entriesOf } from '../../../daemon/config/entries-file.js';
import { hasProblem, seedWith } from './helpers.js';

const tempDir = mkdtempSync(join(tmpdir(), 'lvslab-entries-test-'));
test.after.always(() => rmSync(tempDir, { recursive: true, force: true }));

/** A folder holding seed.yaml with its blocklist's entries line replaced by `blocklistLine`, and `files`. */
function labWith(name: string, blocklistLine: string, files: Record<string, string | Buffer>): string {
  const dir = join(tempDir, name);
  mkdirSync(join(dir, 'lists'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const path = join(dir, 'lab.yaml');
  writeFileSync(path, seedWith('    entries: [192.168.113.100]', blocklistLine));
  return path;
}

test('entriesOf skips comments and blank lines and keeps each entry line number', (t) => {
  t.deepEqual(entriesOf('# header\n10.0.0.1\n\n  10.0.0.2   # office\r\n#10.0.0.3\n'), { entries: ['10.0.0.1', '10.0.0.2'], lines: [2, 4] });
});

test('entriesFile, relative to the lab file, loads its entries into the blocklist', async (t) => {
  const path = labWith('good', '    entriesFile: lists/block.txt', { 'lists/block.txt': '# bad clients\n192.168.113.100\n\n10.1.2.3 # scanner\n' });
  const result = await loadLab(path);
  if (!result.ok) return t.fail(JSON.stringify(result.problems));
  t.deepEqual(result.lab.blocklists[0]?.entries, ['192.168.113.100', '10.1.2.3']);
});

test('every bad line of an entries file is a problem under entriesFile naming FILE:LINE', async (t) => {
  const path = labWith('bad', '    entriesFile: lists/block.txt', { 'lists/block.txt': '10.0.0.1\n10.0.0.300\n# ok\n10.0.0.0/24\n10.0.0.1\n' });
  const result = await loadLab(path);
  if (result.ok) return t.fail('a bad entries file loaded');
  t.is(result.problems.length, 3, JSON.stringify(result.problems));
  hasProblem(t, result.problems, 'blocklists[0].entriesFile', 'lists/block.txt:2: not an IPv4 address');
  hasProblem(t, result.problems, 'blocklists[0].entriesFile', 'lists/block.txt:4: a hash:ip blocklist takes single IPv4 addresses');
  hasProblem(t, result.problems, 'blocklists[0].entriesFile', 'lists/block.txt:5: duplicate of lists/block.txt:1 (10.0.0.1)');
});

test('a blocklist with both entries and entriesFile is one problem', async (t) => {
  const path = labWith('both', '    entries: [192.168.113.100]\n    entriesFile: lists/block.txt', { 'lists/block.txt': '10.0.0.1\n' });
  const result = await loadLab(path);
  if (result.ok) return t.fail('entries and entriesFile together loaded');
  t.is(result.problems.length, 1, JSON.stringify(result.problems));
  hasProblem(t, result.problems, 'blocklists[0].entriesFile', 'a blocklist takes entries or entriesFile, not both');
});

test('a blocklist with neither entries nor entriesFile is one problem', async (t) => {
  const path = labWith('neither', '    # no entries', {});
  const result = await loadLab(path);
  if (result.ok) return t.fail('a blocklist without entries loaded');
  t.is(result.problems.length, 1, JSON.stringify(result.problems));
  hasProblem(t, result.problems, 'blocklists[0].entries', 'required: a list of addresses (entries), or a file of them (entriesFile)');
});

test('a missing entries file is a problem naming it', async (t) => {
  const path = labWith('missing', '    entriesFile: lists/nope.txt', {});
  const result = await loadLab(path);
  if (result.ok) return t.fail('a missing entries file loaded');
  t.is(result.problems.length, 1, JSON.stringify(result.problems));
  const found = hasProblem(t, result.problems, 'blocklists[0].entriesFile', 'cannot open the entries file lists/nope.txt: ENOENT');
  t.is(found?.value, '"lists/nope.txt"');
});

test('an entries file over 16 MiB is refused, naming the limit and what to do', async (t) => {
  const path = labWith('huge', '    entriesFile: lists/huge.txt', { 'lists/huge.txt': Buffer.alloc(MAX_ENTRIES_FILE_BYTES + 1, '#') });
  const result = await loadLab(path);
  if (result.ok) return t.fail('a huge entries file loaded');
  hasProblem(t, result.problems, 'blocklists[0].entriesFile', `the entries file is ${MAX_ENTRIES_FILE_BYTES + 1} bytes; the entries files of a lab are limited to 16777216 bytes (16 MiB) together: write networks`);
});

test('parseLab (text alone, no file system) says an entriesFile is only read by loadLab', (t) => {
  const result = parseLab(seedWith('    entries: [192.168.113.100]', '    entriesFile: lists/block.txt'), 'lab.yaml');
  if (result.ok) return t.fail('an unread entriesFile loaded');
  t.is(result.problems.length, 1, JSON.stringify(result.problems));
  hasProblem(t, result.problems, 'blocklists[0].entriesFile', 'entries files are read when the lab is loaded from a file (loadLab)');
});

test('a changed entries file is read again by the next loadLab (what a daemon reload calls)', async (t) => {
  const path = labWith('reload', '    entriesFile: lists/block.txt', { 'lists/block.txt': '10.0.0.1\n' });
  const first = await loadLab(path);
  writeFileSync(join(tempDir, 'reload', 'lists/block.txt'), '10.0.0.2\n10.0.0.3\n');
  const second = await loadLab(path);
  t.deepEqual([first.ok && first.lab.blocklists[0]?.entries, second.ok && second.lab.blocklists[0]?.entries], [['10.0.0.1'], ['10.0.0.2', '10.0.0.3']]);
});
