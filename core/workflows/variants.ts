import { createHash } from 'node:crypto';
import type { Channel } from '@clarion/adapter-kit';
import type { WorkflowDefinition } from './service.ts';

export type AbVariant = NonNullable<WorkflowDefinition['abTest']>['variants'][number];

/**
 * The variant of a workflow's A/B test a notification takes on a channel, or undefined when the
 * channel is not under test. Deterministic: the first 4 bytes of SHA-256 of the notification id,
 * as a number below 2^32, fall into a variant's share of the weights, so every send, retry and
 * worker picks the same one, and the shares come out as the weights say.
 */
export function variantFor(workflow: Pick<WorkflowDefinition, 'abTest'>, channel: Channel, notificationId: string): AbVariant | undefined {
  const test = workflow.abTest;
  if (!test || test.channel !== channel) return undefined;
  const total = test.variants.reduce((s, v) => s + v.weight, 0);
  if (total === 0) return undefined;
  const point = (createHash('sha256').update(notificationId).digest().readUInt32BE(0) / 2 ** 32) * total;
  let upTo = 0;
  for (const variant of test.variants) {
    upTo += variant.weight;
    if (point < upTo) return variant;
  }
  return test.variants.findLast((v) => v.weight > 0);
}
