import jsonLogic from 'json-logic-js';
import type { FieldError } from '../errors.ts';

/**
 * Conditions of workflow steps and channels: JSON Logic expressions (jsonlogic.com, evaluated by
 * json-logic-js) over `data` (the event's data), `event`, `subscriber` and `notification` (its
 * state when the step runs: `read`, `seen`, `acknowledged`, `status`, `channels.<channel>.status`).
 * Checked when a workflow is saved: known operations only (not `log`, which would write to the
 * server's console), `var` paths under those four roots, no prototype names.
 */

const OPERATIONS = new Set([
  '==', '===', '!=', '!==', '>', '>=', '<', '<=', '!!', '!', '%', 'in', 'cat', 'substr', '+', '*', '-', '/', 'min', 'max', 'merge',
  'var', 'missing', 'missing_some', 'if', '?:', 'and', 'or', 'filter', 'map', 'reduce', 'all', 'none', 'some',
]);
/** Operations whose later arguments are evaluated against each item of the first, not the context. */
const PER_ITEM = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);
export const CONDITION_ROOTS = ['data', 'event', 'subscriber', 'notification'] as const;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

export type Condition = unknown;

/** Problems of an expression, each with its JSON Pointer under `pointer`. */
export function checkCondition(expression: unknown, pointer: string): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: unknown, at: string, inItem: boolean) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => visit(child, `${at}/${i}`, inItem));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      errors.push({ pointer: at, message: 'must be a JSON Logic operation: an object with exactly one key, the operator (e.g. {">": [{"var": "data.amount"}, 1000]})' });
      return;
    }
    const op = keys[0];
    const escaped = op.replace(/~/g, '~0').replace(/\//g, '~1');
    if (!OPERATIONS.has(op)) {
      errors.push({ pointer: `${at}/${escaped}`, message: `is not a JSON Logic operation Clarion runs (${[...OPERATIONS].join(' ')})` });
      return;
    }
    const args = (node as Record<string, unknown>)[op];
    if (op === 'var') {
      const path = Array.isArray(args) ? args[0] : args;
      const problem = varProblem(path, inItem);
      if (problem) errors.push({ pointer: `${at}/var${Array.isArray(args) ? '/0' : ''}`, message: problem });
      if (Array.isArray(args)) args.slice(1).forEach((child, i) => visit(child, `${at}/var/${i + 1}`, inItem));
      return;
    }
    const list = Array.isArray(args) ? args : [args];
    list.forEach((child, i) => visit(child, Array.isArray(args) ? `${at}/${escaped}/${i}` : `${at}/${escaped}`, inItem || (PER_ITEM.has(op) && i > 0)));
  };
  visit(expression, pointer, false);
  return errors;
}

function varProblem(path: unknown, inItem: boolean): string | undefined {
  if (typeof path === 'number') return inItem ? undefined : `must name a field under ${CONDITION_ROOTS.join(', ')}`;
  if (typeof path !== 'string') return 'must be a string path such as data.amount';
  const segments = path.split('.');
  if (segments.some((s) => FORBIDDEN.has(s))) return `must not name ${[...FORBIDDEN].join(', ')}`;
  // Inside map, filter, reduce, all, none and some, "" is the item and paths are the item's.
  if (inItem) return undefined;
  if (!(CONDITION_ROOTS as readonly string[]).includes(segments[0])) return `must start with ${CONDITION_ROOTS.join(', ')} (e.g. data.amount, notification.read)`;
  return undefined;
}

/** Evaluates an expression; a failure (an operation on the wrong kind of value) is false, with why. */
export function evaluateCondition(expression: Condition, context: Record<string, unknown>): { passed: boolean; error?: string } {
  try {
    return { passed: jsonLogic.truthy(jsonLogic.apply(expression as jsonLogic.RulesLogic, context)) };
  } catch (err) {
    return { passed: false, error: (err as Error).message };
  }
}
