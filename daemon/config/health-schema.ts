/**
 * The lab-file schemas of health checks (per virtual server), the sorry server and graceful drain.
 * Durations are written as strings ("2s") and come out in milliseconds. Rules that need more than one
 * field (timeout < interval, http-only keys, quorum, sorry server node) live in health-checks.ts.
 */
import * as z from 'zod';
import { DEFAULT_DRAIN_TIMEOUT_MS, HEALTH_CHECK_TYPES, ON_FAILURE } from './types.js';
import { checked, duration, int, nodeName, oneOf, port, say, strict } from './zod-helpers.js';

export const HEALTH_DEFAULTS = {
  intervalMs: 2000,
  timeoutMs: 1000,
  /** keepalived's delay_before_retry default; never longer than the interval. */
  retryDelayMaxMs: 1000,
  rise: 2,
  fall: 2,
  path: '/',
  expectStatus: 200,
} as const;

export const MAX_BODY_CONTAINS = 200;
export const MAX_HTTP_PATH = 200;
const HOUR = 3_600_000;

const PRINTABLE = /^[\x21-\x7e]*$/;

/** Why `text` is not an HTTP request path lvslab can send, or undefined when it is one. */
export function httpPathProblem(text: string): string | undefined {
  if (!text.startsWith('/')) return 'must start with "/" (like /healthz)';
  if (text.length > MAX_HTTP_PATH) return `must be at most ${MAX_HTTP_PATH} characters`;
  if (!PRINTABLE.test(text)) return 'must be printable ASCII without spaces or control characters (percent-encode others, like %20)';
  return undefined;
}

/** The http-only keys (path, expectStatus, bodyContains) are checked against the type in health-checks.ts. */
export const healthCheckSchema = strict({
  type: oneOf(HEALTH_CHECK_TYPES),
  path: checked('an HTTP path like /healthz', httpPathProblem).optional(),
  expectStatus: int(100, 599).optional(),
  bodyContains: z
    .string(say(`must be a string of at most ${MAX_BODY_CONTAINS} characters`))
    .max(MAX_BODY_CONTAINS, say(`must be at most ${MAX_BODY_CONTAINS} characters`))
    .optional(),
  interval: duration(100, HOUR).default(HEALTH_DEFAULTS.intervalMs),
  /** Must also be shorter than the interval (health-checks.ts). */
  timeout: duration(1, HOUR).default(HEALTH_DEFAULTS.timeoutMs),
  /** After a failure of a server still up, check again this soon; default: the interval, at most 1s. */
  retryDelay: duration(100, HOUR).optional(),
  rise: int(1, 100).default(HEALTH_DEFAULTS.rise),
  fall: int(1, 100).default(HEALTH_DEFAULTS.fall),
  onFailure: oneOf(ON_FAILURE).default('inhibit'),
});

export const sorryServerSchema = strict({
  node: nodeName,
  port,
});

export const drainSchema = strict({
  timeout: duration(0, HOUR).default(DEFAULT_DRAIN_TIMEOUT_MS),
});
