import request from 'supertest';
import type { TestApp } from './clarion.ts';

/** The `_csrf` value of the first form of a console page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF field in the page:\n${html.slice(0, 500)}`);
  return match[1];
}

export const PASSWORD = 'correct horse battery staple';

/** A console user of `tenantId` (or an operator with `null`), created through the accounts service. */
export async function adminUser(t: TestApp, tenantId: string | null, role: string, email = `${role}@acme.example`): Promise<{ id: string; email: string }> {
  const user = await t.services.accounts.createUser({ tenantId, email, role, password: PASSWORD }, 'cli');
  return { id: user.id, email: user.email };
}

/**
 * A logged-in browser-like client (supertest agent keeping cookies) and the session's CSRF
 * token, as a person would have after logging in.
 */
export async function loggedIn(t: TestApp, email: string, password = PASSWORD): Promise<{ agent: ReturnType<typeof request.agent>; csrf: string }> {
  const agent = request.agent(t.callback);
  const page = await agent.get('/admin/login').expect(200);
  await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(page.text), email, password }).expect(303);
  const account = await agent.get('/admin/account').expect(200);
  return { agent, csrf: csrfOf(account.text) };
}
