import { expect } from 'chai';
import { PagingQuery, StringEnum, Type, DateTime, queryParameters, queryReader } from '../../core/kernel/schema.ts';

/** One TypeBox object per route's query: its OpenAPI parameters, and the check of a Koa query against it. */
describe('query schemas (core/kernel/schema.ts)', () => {
  const schema = Type.Object({
    ...PagingQuery(100),
    status: Type.Optional(StringEnum(['open', 'closed'], { description: 'Only this status' })),
    enabled: Type.Optional(Type.Boolean()),
    since: Type.Optional(DateTime({ description: 'At or after' })),
    to: Type.Optional(Type.String({ description: 'Free text' })),
    tags: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z]+$', description: 'lower-case letters' }), { minItems: 1, maxItems: 3 })),
    enabledToo: Type.Optional(Type.Boolean()),
  });
  const read = queryReader(schema, { ignoreRepeated: ['enabledToo'] });

  it('documents each property as an optional query parameter, its description lifted out', () => {
    const parameters = queryParameters(schema);
    expect(parameters.map((p) => p.name)).to.deep.equal(['limit', 'cursor', 'status', 'enabled', 'since', 'to', 'tags', 'enabledToo']);
    expect(parameters[0]).to.deep.equal({ name: 'limit', in: 'query', required: false, description: 'Page size (1-100, default 50).', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } });
    expect(parameters[2]).to.deep.equal({ name: 'status', in: 'query', required: false, description: 'Only this status', schema: { enum: ['open', 'closed'] } });
    expect(parameters[3]).to.deep.equal({ name: 'enabled', in: 'query', required: false, schema: { type: 'boolean' } });
    expect(parameters[6]).to.deep.include({ style: 'form', explode: false, schema: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$', description: 'lower-case letters' }, minItems: 1, maxItems: 3 } });
    expect(JSON.stringify(parameters)).not.to.include('~');
  });

  it('reads numbers and booleans from their text, an empty value as none, and leaves unknown parameters alone', () => {
    expect(read({ limit: '20', enabled: 'false', status: 'open', since: '2026-01-02T03:04:05Z', to: '', other: 'x' })).to.deep.equal({
      value: { limit: 20, enabled: false, status: 'open', since: '2026-01-02T03:04:05Z' },
    });
    expect(read({})).to.deep.equal({ value: {} });
  });

  it('refuses what the schema does not take, one error per parameter, in the words the API always used', () => {
    expect(read({ limit: '0', status: 'nope', enabled: 'yes', since: 'yesterday', tags: 'A' }).errors).to.deep.equal([
      { pointer: '/query/limit', message: 'must be an integer from 1 to 100' },
      { pointer: '/query/status', message: 'must be one of open, closed' },
      { pointer: '/query/enabled', message: 'must be true or false' },
      { pointer: '/query/since', message: 'must be an RFC 3339 timestamp' },
      { pointer: '/query/tags', message: 'must be 1 to 3 comma-separated values (lower-case letters)' },
    ]);
    for (const limit of ['1.5', 'ten', '101']) expect(read({ limit }).errors).to.deep.equal([{ pointer: '/query/limit', message: 'must be an integer from 1 to 100' }]);
    for (const since of ['2026-13-45T00:00:00Z', '2026-01-02', 'Jan 2 2026']) expect(read({ since }).errors?.[0]?.pointer).to.equal('/query/since');
  });

  it('reads a list from comma-separated values, trimmed, empty ones dropped, repeats adding to it', () => {
    expect(read({ tags: 'a, b,,c' })).to.deep.equal({ value: { tags: ['a', 'b', 'c'] } });
    expect(read({ tags: ['a', 'b'] })).to.deep.equal({ value: { tags: ['a', 'b'] } });
    for (const tags of [',', 'a,b,c,d', 'a,B']) expect(read({ tags }).errors?.map((e) => e.pointer)).to.deep.equal(['/query/tags']);
  });

  it('keeps what repeats always did: refused for checked values, ignored for free text and where the route says', () => {
    expect(read({ status: ['open', 'closed'], limit: ['5', '6'] }).errors?.map((e) => e.pointer)).to.deep.equal(['/query/limit', '/query/status']);
    expect(read({ to: ['a', 'b'], cursor: ['x', 'y'], enabledToo: ['true', 'false'] })).to.deep.equal({ value: {} });
  });
});
