import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Platform } from '#testing';
import { CallDetailQuery } from '../apps/calls/src/calls/call-detail.query.js';
import { ListCallsQuery } from '../apps/calls/src/calls/list-calls.query.js';
import { CallStatsQuery } from '../apps/calls/src/history/call-stats.query.js';
import { ExportCallsQuery } from '../apps/calls/src/history/export-calls.query.js';
import { RecentCallsQuery } from '../apps/calls/src/history/recent-calls.query.js';

interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema?: { enum?: string[] } }[];
  responses: Record<
    string,
    { description: string; content?: { 'application/json'?: { schema?: { properties?: { code?: { enum?: string[] } } } } } }
  >;
}
type Document = { paths: Record<string, Record<string, Operation>> };

let platform: Platform;
let doc: Document;
beforeAll(async () => {
  platform = await Platform.start({ gateways: 0, notifier: false });
  doc = (await (await fetch(`${platform.calls.url}/docs/openapi.json`)).json()) as Document;
}, 60_000);
afterAll(async () => platform?.stop());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

describe('the calls app OpenAPI document at /docs/openapi.json', () => {
  it('declares every path parameter of every route, so "Try it out" fills it in', () => {
    const missing = operations().flatMap(({ path, method, op }) =>
      [...path.matchAll(/\{(\w+)\}/g)]
        .map(([, name]) => name!)
        .filter((name) => !op.parameters?.some((p) => p.in === 'path' && p.name === name && p.required))
        .map((name) => `${method.toUpperCase()} ${path}: ${name}`),
    );
    expect(operations().length).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it('declares every filter of the call list, from the schema that validates it', () => {
    const list = doc.paths['/calls']!.get!;
    const query = list.parameters!.filter((p) => p.in === 'query');
    expect(query.map((p) => p.name).sort()).toEqual(Object.keys(ListCallsQuery.shape).sort());
    expect(query.find((p) => p.name === 'endReason')?.schema?.enum).toContain('connection-lost');
    expect(query.every((p) => !p.required)).toBe(true);
  });

  it.each([
    ['/calls/stats', CallStatsQuery],
    ['/calls/export', ExportCallsQuery],
    ['/calls/{id}', CallDetailQuery],
    ['/me/calls', RecentCallsQuery],
  ])('declares every query parameter of GET %s', (path, schema) => {
    const query = doc.paths[path]!.get!.parameters!.filter((p) => p.in === 'query');
    expect(query.map((p) => p.name).sort()).toEqual(Object.keys(schema.shape).sort());
  });

  it('describes the errors of every public route with the codes a client switches on', () => {
    const undocumented = operations()
      .filter(({ path }) => !path.startsWith('/internal') && !path.startsWith('/health'))
      .filter(
        ({ op }) =>
          !Object.entries(op.responses).some(
            ([status, r]) => status.startsWith('4') && r.content?.['application/json']?.schema?.properties?.code?.enum?.length,
          ),
      )
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(undocumented).toEqual([]);
    expect(doc.paths['/calls/{id}']!.get!.responses['404']?.description).toContain('CALL_NOT_FOUND');
  });
});
