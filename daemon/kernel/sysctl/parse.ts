/** `sysctl KEY KEY ...` (without -n) → key → value. Pure. */
import { textLines } from '../batch.js';

/**
 * Lines "key = value" (the value may be empty or hold tabs: "32768\t60999"). Keys that do not exist
 * are simply absent (sysctl reports them on stderr); lines of any other shape are ignored.
 */
export function parseSysctlOutput(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of textLines(text)) {
    const at = line.indexOf(' =');
    if (at <= 0) continue;
    values.set(line.slice(0, at).trim(), line.slice(at + 2).trim());
  }
  return values;
}
