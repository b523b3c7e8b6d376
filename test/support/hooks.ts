import { startTestPostgres, stopTestPostgres } from './postgres.ts';

/** Mocha root hooks: one embedded PostgreSQL for the run. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await startTestPostgres();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestPostgres();
  },
};
