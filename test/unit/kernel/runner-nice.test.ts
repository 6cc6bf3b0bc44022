/** The real runner's nice option: the program runs at the nice value asked for (a positive one needs no privilege). */
import test from 'ava';
import { getPriority } from 'node:os';
import pino from 'pino';
import { createRunner } from '../../../daemon/kernel/runner.js';

const runner = createRunner({ log: pino({ level: 'silent' }) });
// node prints its nice value 300 ms after it started: long after the runner set it
const niceOfChild = ['-e', 'setTimeout(() => console.log(require("node:os").getPriority()), 300)'];

test('a program run with nice: 7 runs at nice 7; without the option at this process\'s own', async (t) => {
  const own = getPriority();
  t.is((await runner.run([process.execPath, ...niceOfChild], { nice: 7 })).stdout.trim(), '7');
  t.is((await runner.run([process.execPath, ...niceOfChild])).stdout.trim(), String(own));
});
