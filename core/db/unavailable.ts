/**
 * Whether an error means that PostgreSQL cannot be reached right now (stopped, restarting,
 * recovering from a crash, shutting down, the connection lost, or every connection busy), as
 * opposed to a statement it refused. The first is worth retrying as it is, later: the gateway
 * answers it with 503 and Retry-After, a worker waits for the database to come back.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (e: unknown): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_STATES.has(code) || code.startsWith('08'))) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && LOST.some((pattern) => pattern.test(message))) return true;
    const nested = e as { cause?: unknown; nativeError?: unknown; errors?: unknown };
    // objection wraps the driver's error as `nativeError`; an AggregateError holds several.
    return walk(nested.cause) || walk(nested.nativeError) || (Array.isArray(nested.errors) && nested.errors.some(walk));
  };
  return walk(err);
}

/** The socket to the server could not be opened or was cut. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that is going or not there yet (class 08, connection exceptions, is
 * matched by its prefix): admin_shutdown, crash_shutdown, cannot_connect_now (starting up,
 * shutting down, in recovery), too_many_connections.
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What pg and knex say when a connection is lost without a SQLSTATE, or none can be had in time. */
const LOST = [
  /^Connection terminated/,
  /Client has encountered a connection error and is not queryable/,
  /^timeout exceeded when trying to connect/,
  /^Knex: Timeout acquiring a connection/,
  /^Client was closed and is not queryable/,
];

/**
 * Runs `fn` again while it fails because the database is unavailable, waiting 250 ms between
 * tries at first and up to 2 s, for at most `maxMs` in all; then, or on any other error, it
 * throws. For a write that must not be lost to a short outage (a message the provider already
 * took: losing its record means sending it again).
 */
export async function whileUnavailable<T>(fn: () => Promise<T>, options: { maxMs: number; onRetry?: (err: unknown, attempt: number) => void }): Promise<T> {
  const deadline = Date.now() + options.maxMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() + delay > deadline) throw err;
      options.onRetry?.(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(2000, delay * 2);
    }
  }
}
