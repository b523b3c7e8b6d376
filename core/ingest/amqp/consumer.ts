import { EventEmitter } from 'node:events';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { ApiKeyService } from '../../api-keys/service.ts';
import { ClarionError, problemDocument } from '../../errors.ts';
import type { Clock } from '../../kernel/clock.ts';
import { amqpMessages } from '../../metrics.ts';
import type { TenantRow } from '../../tenants.ts';
import type { EventRef, IngestService } from '../service.ts';
import { deadLetterHeaders, eventsFromMessage } from './binding.ts';
import { contextOf, within } from '../../tracing.ts';

/**
 * Reads CloudEvents from a RabbitMQ queue (AMQP 0-9-1) into the same intake as `POST /v1/events`:
 * the same parser and limits, the same contracts, the same idempotent store.
 *
 * - A message is acknowledged only once its events are committed (or found to be duplicates: a
 *   message redelivered after a crash between commit and ack is a resent event, stored once).
 * - A refused message (invalid event, no contract, no or a bad API key) goes to the dead-letter
 *   queue with its problem document in the `x-clarion-problem` header, published with a broker
 *   confirm before the original is acknowledged, so it is never lost in between. Its API key
 *   header is not copied.
 * - A failure that is not the message's fault (the database is down) leaves the message to the
 *   broker: it is returned to the queue after a backoff and tried again.
 * - At most `prefetch` messages are in flight; the connection is recovered after a broker
 *   restart or a network cut (amqplib's recovery), and whatever was unacknowledged is redelivered.
 *
 * Authentication: a message carries the tenant's API key in its `authorization` header
 * (`Bearer ck_...`), exactly as over HTTP; or the operator dedicates the queue to one tenant
 * (`tenantId`), and messages without a key are that tenant's.
 */

export interface AmqpConsumerOptions {
  url: string;
  queue: string;
  deadLetterQueue: string;
  prefetch: number;
  /** Declare both queues (durable) at each connection; false: they must exist. */
  declare: boolean;
  /** The tenant of messages that carry no API key; unset: such messages are refused. */
  tenantId: string | undefined;
  maxBodyBytes: number;
  /** Reconnection backoff (amqplib's recovery), in milliseconds. */
  reconnect?: { initialDelay: number; maxDelay: number };
}

export type AmqpOutcome = 'accepted' | 'duplicate' | 'refused' | 'requeued';

/** What became of one message, emitted as `message` once it is settled. */
export interface AmqpMessageReport {
  outcome: AmqpOutcome;
  messageId: string | undefined;
  accepted: EventRef[];
  duplicates: EventRef[];
  /** The error code of a refused or requeued message. */
  code?: string;
}

interface Deps {
  ingest: IngestService;
  apiKeys: ApiKeyService;
  tenants: { find(tenantId: string): Promise<TenantRow | undefined> };
  log: Logger;
  clock: Clock;
}

interface Session {
  model: ChannelModel;
  channel: Channel;
  confirm: ConfirmChannel;
}

export class AmqpConsumer extends EventEmitter<{ received: [string | undefined]; message: [AmqpMessageReport]; consuming: []; disconnected: [Error | undefined] }> {
  readonly #options: AmqpConsumerOptions;
  readonly #deps: Deps;
  readonly #log: Logger;
  #connection: RecoveringChannelModel | undefined;
  #session: Session | undefined;
  #stopping = false;
  readonly #inFlight = new Set<Promise<void>>();
  /** Messages received and not yet settled (being ingested, or waiting out a backoff). */
  #unsettled = 0;
  /** Consecutive failures that were not the messages' fault: the backoff before the next requeue. */
  #failures = 0;
  /** Pending waits (backoffs, reopening a channel), each run at once when the consumer stops. */
  readonly #timers = new Map<NodeJS.Timeout, () => void>();

  constructor(options: AmqpConsumerOptions, deps: Deps) {
    super();
    this.#options = options;
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'amqp', queue: options.queue });
  }

  /** Starts connecting; resolves at once (a broker that is down is retried in the background). */
  async start(): Promise<void> {
    const { initialDelay, maxDelay } = this.#options.reconnect ?? { initialDelay: 200, maxDelay: 30_000 };
    this.#connection = await connect(this.#options.url, {
      clientProperties: { connection_name: 'clarion' },
      recovery: {
        initialDelay,
        maxDelay,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.#setup(model),
      },
    });
    this.#connection.on('disconnect', (err) => {
      this.#session = undefined;
      if (!this.#stopping) this.#log.warn({ err: redactUrl(err) }, 'AMQP connection lost: reconnecting');
      this.emit('disconnected', err);
    });
    this.#connection.on('connect-failed', (err) => this.#log.warn({ err: redactUrl(err) }, 'AMQP connection failed: retrying'));
    this.#connection.on('error', (err) => this.#log.warn({ err: redactUrl(err) }, 'AMQP connection error'));
  }

  /** Is a channel consuming now? */
  get consuming(): boolean {
    return this.#session !== undefined;
  }

  /**
   * Messages received and not yet settled: being ingested, or waiting out a backoff before they
   * are returned to the queue. 0 once each message received so far was acknowledged,
   * dead-lettered or returned (the `message` event of the last one is emitted after the count).
   */
  get unsettled(): number {
    return this.#unsettled;
  }

  /**
   * Stops taking messages, lets those in flight finish (and be acknowledged; one waiting out a
   * backoff is returned to the queue at once), then disconnects.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const [timer, fn] of [...this.#timers]) {
      clearTimeout(timer);
      this.#timers.delete(timer);
      fn();
    }
    const session = this.#session;
    if (session) await session.channel.cancel(CONSUMER_TAG).catch((err) => this.#log.warn({ err }, 'AMQP consumer could not be cancelled: closing its channel'));
    await Promise.allSettled([...this.#inFlight]);
    // The channels are closed before the connection, each waiting for the broker's close-ok: an
    // acknowledgement goes out on its channel's frames, ahead of that channel's close, but amqplib
    // interleaves the frames of the channels with the connection's own, so a connection close sent
    // at once could reach the broker before acknowledgements written just before it. The broker
    // would then drop those acknowledgements and deliver the messages again (to be found
    // duplicates: nothing lost, but work done twice and a queue that never drains on a stop).
    const current = this.#session ?? session;
    if (current) {
      for (const ch of [current.channel, current.confirm]) {
        await ch.close().catch((err: Error) => this.#log.warn({ err }, 'AMQP channel could not be closed cleanly: unacknowledged messages will be redelivered'));
      }
    }
    await this.#connection?.close().catch((err: Error) => this.#log.warn({ err: redactUrl(err) }, 'AMQP connection could not be closed cleanly'));
  }

  async #setup(model: ChannelModel): Promise<void> {
    const { queue, deadLetterQueue, prefetch, declare } = this.#options;
    const channel = await model.createChannel();
    const confirm = await model.createConfirmChannel();
    for (const ch of [channel, confirm]) ch.on('error', (err: Error) => this.#log.warn({ err }, 'AMQP channel error'));
    if (declare) {
      await channel.assertQueue(queue, { durable: true });
      await confirm.assertQueue(deadLetterQueue, { durable: true });
    } else {
      await channel.checkQueue(queue);
      await confirm.checkQueue(deadLetterQueue);
    }
    await channel.prefetch(prefetch);
    const session: Session = { model, channel, confirm };
    // A channel closed under a live connection (a queue deleted, a refused ack) is opened again.
    const reopen = () => {
      if (this.#session !== session) return;
      this.#session = undefined;
      if (this.#stopping) return;
      this.#later(1000, () => {
        if (this.#stopping || this.#session) return;
        this.#setup(model).catch((err) => this.#log.warn({ err }, 'AMQP channel cannot be reopened: waiting for the connection to recover'));
      });
    };
    channel.on('close', reopen);
    confirm.on('close', reopen);
    await channel.consume(
      queue,
      (message) => {
        if (message === null) {
          // The broker cancelled the consumer (the queue was deleted): start over on a new channel.
          this.#log.warn('AMQP consumer cancelled by the broker (queue deleted?): reopening the channel');
          void channel.close().catch((err: Error) => this.#log.warn({ err }, 'AMQP channel could not be closed after a cancel'));
          return;
        }
        this.#unsettled++;
        const handling = this.#handle(session, message).finally(() => this.#inFlight.delete(handling));
        this.#inFlight.add(handling);
      },
      { noAck: false, consumerTag: CONSUMER_TAG },
    );
    this.#session = session;
    this.#log.info({ prefetch }, 'consuming CloudEvents');
    this.emit('consuming');
  }

  async #handle(session: Session, message: ConsumeMessage): Promise<void> {
    const messageId = message.properties.messageId as string | undefined;
    let report: AmqpMessageReport | undefined;
    try {
      this.emit('received', messageId);
      report = await this.#settle(session, message, messageId);
    } catch (err) {
      this.#log.error({ err, messageId }, 'AMQP message handling failed: it stays unacknowledged and is redelivered');
    } finally {
      this.#unsettled--;
    }
    if (!report) return;
    amqpMessages.inc({ outcome: report.outcome });
    this.emit('message', report);
  }

  /** Ingests, dead-letters or returns one message; its report, or undefined when it is left to the broker (the channel is gone). */
  async #settle(session: Session, message: ConsumeMessage, messageId: string | undefined): Promise<AmqpMessageReport | undefined> {
    let report: AmqpMessageReport;
    try {
      const tenant = await this.#tenantOf(message.properties.headers);
      const { mode, events } = eventsFromMessage(
        { contentType: message.properties.contentType, contentEncoding: message.properties.contentEncoding, headers: message.properties.headers, content: message.content },
        this.#options.maxBodyBytes,
      );
      // The publisher's W3C trace context, as message headers (the binary-mode extension works too).
      const headers = message.properties.headers ?? {};
      const result = await within(contextOf(headers.traceparent, headers.tracestate), () => this.#deps.ingest.ingest(tenant, mode, events));
      report = { outcome: result.accepted.length > 0 ? 'accepted' : 'duplicate', messageId, ...result };
      this.#failures = 0;
    } catch (err) {
      if (err instanceof ClarionError && err.status < 500) {
        report = { outcome: 'refused', messageId, accepted: [], duplicates: [], code: err.code };
        try {
          await this.#deadLetter(session, message, err);
        } catch (publishErr) {
          // Not in the dead-letter queue: the original stays unacknowledged and comes back.
          this.#log.warn({ err: publishErr, messageId }, 'refused message could not be dead-lettered: it will be redelivered');
          return undefined;
        }
        this.#log.warn({ code: err.code, messageId, errors: err.errors.slice(0, 5) }, 'message refused: dead-lettered');
      } else {
        const failures = ++this.#failures;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
        this.#log.error({ err, messageId, retryInMs: this.#stopping ? 0 : delay }, 'message could not be ingested: returning it to the queue');
        // Stopping: returned at once (a backoff begun earlier is cut short by stop()).
        if (!this.#stopping) await new Promise<void>((resolve) => this.#later(delay, resolve));
        if (!this.#send(session, message, 'nack')) return undefined;
        return { outcome: 'requeued', messageId, accepted: [], duplicates: [], code: err instanceof ClarionError ? err.code : 'CLARION_ERR_SERVER_INTERNAL' };
      }
    }
    // After the commit (or the dead-letter's confirm): a channel that closed meanwhile loses the
    // ack, and the broker redelivers the message, which is then a duplicate.
    if (!this.#send(session, message, 'ack')) return undefined;
    return report;
  }

  /** Acks or returns the message; false (logged) when its channel is gone: the broker then redelivers it. */
  #send(session: Session, message: ConsumeMessage, how: 'ack' | 'nack'): boolean {
    try {
      if (how === 'ack') session.channel.ack(message);
      else session.channel.nack(message, false, true);
      return true;
    } catch (err) {
      this.#log.warn({ err, messageId: message.properties.messageId, deliveryTag: message.fields.deliveryTag }, `AMQP ${how} not sent (channel closed): the broker will deliver the message again`);
      return false;
    }
  }

  async #tenantOf(headers: Record<string, unknown> | undefined): Promise<TenantRow> {
    const entry = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization');
    const value = entry ? (Buffer.isBuffer(entry[1]) ? entry[1].toString('utf8') : entry[1]) : undefined;
    if (value === undefined || value === '') {
      if (this.#options.tenantId) {
        const tenant = await this.#deps.tenants.find(this.#options.tenantId);
        if (tenant) return tenant;
        throw new ClarionError('CLARION_ERR_SERVER_INTERNAL', `CLARION_AMQP_TENANT names no tenant (${this.#options.tenantId})`);
      }
      throw new ClarionError('CLARION_ERR_AUTH_MISSING', 'Send your API key in the message header authorization: Bearer <key> (or the operator dedicates the queue to one tenant with CLARION_AMQP_TENANT)');
    }
    const match = typeof value === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
    const found = match ? await this.#deps.apiKeys.authenticate(match[1]) : undefined;
    if (!found) throw new ClarionError('CLARION_ERR_AUTH_INVALID', 'The API key in the authorization header is not valid (unknown, revoked, or not sent as Bearer <key>)');
    return found.tenant;
  }

  /** Publishes the refused message to the dead-letter queue and waits for the broker's confirm. */
  #deadLetter(session: Session, message: ConsumeMessage, error: ClarionError): Promise<void> {
    const problem = problemDocument(error, `amqp:${this.#options.queue}`, message.properties.messageId ?? `delivery ${message.fields.deliveryTag}`);
    const { headers, ...properties } = message.properties;
    const publishOptions = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
    return new Promise<void>((resolve, reject) => {
      try {
        session.confirm.sendToQueue(
          this.#options.deadLetterQueue,
          message.content,
          { ...publishOptions, persistent: true, headers: deadLetterHeaders(headers, problem, this.#options.queue, this.#deps.clock.now()) },
          (err) => (err ? reject(err) : resolve()),
        );
      } catch (err) {
        reject(err);
      }
    });
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.set(timer, fn);
  }
}

const CONSUMER_TAG = 'clarion-ingest';

/** Connection errors may quote the URL, password included. */
function redactUrl(err: Error | undefined): Error | undefined {
  if (!err?.message) return err;
  const cleaned = err.message.replace(/(amqps?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1[redacted]@');
  if (cleaned === err.message) return err;
  const copy = new Error(cleaned);
  copy.name = err.name;
  return copy;
}
