/**
 * A steady load of CloudEvents with unique ids, single and batched, spread over the gateways. A
 * request that is refused with a 5xx or 429, or cut off, is sent again (the same events, the same
 * ids) after a short backoff, to the next gateway, as a well-behaved client does: an event counts
 * as accepted once a gateway answered it 202 (under `accepted`, or under `duplicates` when an
 * earlier try had stored it although its answer was lost).
 */

export interface ChaosEvent {
  n: number;
  id: string;
  /** The recipients' addresses: one email each is expected. */
  emails: string[];
  /** The phase (fault) during which it was first sent. */
  phase: string;
  sentAt: number;
  acceptedAt?: number;
  /** The 202 listed it as a duplicate: an earlier try was stored, its answer lost. */
  resentAfterLostAnswer?: boolean;
  /** Gave up on it (no 202 within the client's patience). */
  abandoned?: boolean;
}

export interface PhaseTraffic {
  requests: number;
  accepted: number;
  refused503: number;
  /** 503s that carried no Retry-After or no problem document. */
  refused503Malformed: number;
  refused5xx: number;
  refused4xx: number;
  networkErrors: number;
  /** Requests the gateway did not answer within the client's timeout (a hang). */
  timeouts: number;
  /** Times (ms since start) of the first and last 5xx answer: how long ingest refused. */
  firstRefusedAt?: number;
  lastRefusedAt?: number;
}

export interface LoadOptions {
  gateways: () => string[];
  apiKey: string;
  /** Events per second. */
  rate: number;
  /** Every `batchEvery`-th request is a batch of `batchSize` events. */
  batchEvery: number;
  batchSize: number;
  /** Every `pairEvery`-th event goes to two recipients (fan-out), the others to one. */
  pairEvery: number;
  requestTimeoutMs: number;
  /** How long a client keeps resending an event before giving up. */
  patienceMs: number;
  now: () => number;
}

export class LoadGenerator {
  readonly events: ChaosEvent[] = [];
  readonly traffic = new Map<string, PhaseTraffic>();
  phase = 'baseline';
  #options: LoadOptions;
  #n = 0;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: LoadOptions) {
    this.#options = options;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  trafficOf(phase: string): PhaseTraffic {
    let t = this.traffic.get(phase);
    if (!t) {
      t = { requests: 0, accepted: 0, refused503: 0, refused503Malformed: 0, refused5xx: 0, refused4xx: 0, networkErrors: 0, timeouts: 0 };
      this.traffic.set(phase, t);
    }
    return t;
  }

  start(): void {
    const { rate, batchEvery, batchSize } = this.#options;
    // Requests per second such that singles and batches together make `rate` events per second.
    const eventsPerCycle = batchEvery - 1 + batchSize;
    const interval = (1000 * eventsPerCycle) / rate / batchEvery;
    let count = 0;
    const tick = () => {
      if (this.#stopped) return;
      count += 1;
      this.send(count % batchEvery === 0 ? batchSize : 1);
      this.#timer = setTimeout(tick, interval);
    };
    tick();
  }

  /** Stops sending new events; the ones being resent keep going until answered. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Sends `size` new events now, one request (a batch if more than one), to the next gateway. */
  send(size: number, gateway?: string): Promise<void> {
    const batch: ChaosEvent[] = [];
    for (let i = 0; i < size; i++) {
      const n = ++this.#n;
      const recipients = n % this.#options.pairEvery === 0 ? 2 : 1;
      const event: ChaosEvent = { n, id: `chaos-${n}`, emails: Array.from({ length: recipients }, (_, k) => `e${n}-r${k}@chaos.test`), phase: this.phase, sentAt: this.#options.now() };
      this.events.push(event);
      batch.push(event);
    }
    const task = this.#deliver(batch, gateway).finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
    return task;
  }

  async #deliver(batch: ChaosEvent[], gateway?: string): Promise<void> {
    const { apiKey, requestTimeoutMs, patienceMs, now } = this.#options;
    const body = batch.length === 1 ? JSON.stringify(cloudEvent(batch[0])) : JSON.stringify(batch.map(cloudEvent));
    const contentType = batch.length === 1 ? 'application/cloudevents+json' : 'application/cloudevents-batch+json';
    const deadline = now() + patienceMs;
    let delay = 250;
    let target = gateway;
    for (;;) {
      const gateways = this.#options.gateways();
      const url = target ?? gateways[this.#next++ % gateways.length];
      target = undefined;
      const traffic = this.trafficOf(this.phase);
      traffic.requests += 1;
      let refused = false;
      let retryAfterMs = 0;
      try {
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType },
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const text = await res.text();
        if (res.status === 202) {
          const answer = JSON.parse(text) as { accepted: Array<{ id: string }>; duplicates: Array<{ id: string }> };
          const duplicates = new Set(answer.duplicates.map((d) => d.id));
          for (const event of batch) {
            event.acceptedAt ??= now();
            if (duplicates.has(event.id)) event.resentAfterLostAnswer = true;
          }
          traffic.accepted += batch.length;
          return;
        }
        refused = true;
        retryAfterMs = 1000 * (Number(res.headers.get('retry-after')) || 0);
        if (res.status === 503) {
          traffic.refused503 += 1;
          const problem = res.headers.get('content-type')?.startsWith('application/problem+json') && /"status":503/.test(text);
          if (!res.headers.get('retry-after') || !problem) traffic.refused503Malformed += 1;
        } else if (res.status >= 500 || res.status === 429) {
          traffic.refused5xx += 1;
          // Never expected: say which, with the request id to find it in the gateway's log.
          console.error(`\nchaos: ${url} answered ${res.status} (request ${res.headers.get('x-request-id') ?? '?'}): ${text.slice(0, 300)}`);
        }
        else {
          // A 4xx for events that are valid is a bug; resending would not help.
          traffic.refused4xx += 1;
          console.error(`\nchaos: a gateway refused valid events with ${res.status}: ${text.slice(0, 300)}`);
          for (const event of batch) event.abandoned = true;
          return;
        }
      } catch (err) {
        // No answer: the gateway is gone (killed) or hangs; the client tries the next one.
        if ((err as Error).name === 'TimeoutError') traffic.timeouts += 1;
        else traffic.networkErrors += 1;
      }
      if (refused) {
        traffic.firstRefusedAt ??= now();
        traffic.lastRefusedAt = now();
      }
      if (now() > deadline) {
        for (const event of batch) event.abandoned = true;
        return;
      }
      // As a well-behaved client: the gateway's Retry-After, else a backoff from 250 ms to 2 s.
      await new Promise((r) => setTimeout(r, Math.max(delay, retryAfterMs)));
      delay = Math.min(2000, delay * 2);
    }
  }
}

function cloudEvent(event: ChaosEvent) {
  return {
    specversion: '1.0',
    id: event.id,
    source: '/chaos',
    type: 'com.clarion.chaos',
    data: { n: event.n, recipients: event.emails.map((email) => ({ id: email.split('@')[0], email, name: 'Chaos' })) },
  };
}
