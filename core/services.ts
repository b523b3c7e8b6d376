import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { ContractRegistry } from './ingest/contracts.ts';
import { EventQueries } from './ingest/events.ts';
import { IngestService } from './ingest/service.ts';

/** Injected so tests can move time without sleeping. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Everything the gateway and the worker share, built once per process. */
export interface Services {
  config: Config;
  knex: Knex;
  log: Logger;
  clock: Clock;
  contracts: ContractRegistry;
  ingest: IngestService;
  events: EventQueries;
}

export function createServices(config: Config, knex: Knex, log: Logger, clock: Clock = systemClock): Services {
  const contracts = new ContractRegistry(knex);
  return {
    config,
    knex,
    log,
    clock,
    contracts,
    ingest: new IngestService(knex, contracts, log.child({ component: 'ingest' })),
    events: new EventQueries(knex),
  };
}
