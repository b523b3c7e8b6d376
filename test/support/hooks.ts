import { takeResponseMismatches } from './openapi-responses.ts';
import { startTestPostgres, stopTestPostgres } from './postgres.ts';
import { stopTestRabbitMq } from './rabbitmq.ts';

/**
 * Mocha root hooks: one embedded PostgreSQL for the run; a test that received a response the
 * OpenAPI document does not describe fails, even if it did not look at that response.
 */
export const mochaHooks = {
  afterEach(this: Mocha.Context) {
    const mismatches = takeResponseMismatches();
    if (mismatches.length > 0 && this.currentTest?.state === 'passed') {
      throw new Error(`responses that do not match the OpenAPI document:\n${mismatches.join('\n')}`);
    }
  },
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await startTestPostgres();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestRabbitMq();
    await stopTestPostgres();
  },
};
