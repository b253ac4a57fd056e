import fc from 'fast-check';
import { junk } from './junk.js';
import { nearValid } from './mutation.js';

interface Parameter {
  name: string;
  in: string;
  schema?: { enum?: string[] };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: unknown;
}
/** The parts of the calls app's OpenAPI document (/docs/openapi.json) that name its routes. */
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

export interface Route {
  /** Which app serves it. */
  app: 'calls' | 'gateway';
  method: string;
  path: string;
  parameters: Parameter[];
  hasBody: boolean;
}

export interface RestInput {
  route: string;
  app: Route['app'];
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  broke?: string;
}

/** Credentials a request may carry: none, garbage, a user's token, the admin token, a token signed with another secret. */
export interface Credentials {
  userToken: string;
  adminToken: string;
  foreignToken: string;
}

/** Valid values a route's path parameters and bodies start from before one thing is broken. */
export interface RestSamples {
  pathParams: Record<string, string>;
  bodies: Record<string, () => Record<string, unknown>>;
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);

/**
 * Every route of the calls app's OpenAPI document, plus the gateway's REST route (`GET /ice-servers`:
 * the gateway serves no document of its own). A route with a body and no valid sample fails here.
 */
export function routesOf(doc: OpenApiDocument, samples: RestSamples): Route[] {
  const routes: Route[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({
        app: 'calls' as const,
        method,
        path,
        parameters: op.parameters ?? [],
        hasBody: op.requestBody !== undefined,
      })),
  );
  routes.push({ app: 'gateway', method: 'get', path: '/ice-servers', parameters: [{ name: 'callId', in: 'query' }], hasBody: false });
  const unsampled = routes.filter((r) => r.hasBody && !samples.bodies[`${r.method.toUpperCase()} ${r.path}`]);
  if (unsampled.length)
    throw new Error(`no valid body sample for ${unsampled.map((r) => `${r.method.toUpperCase()} ${r.path}`).join(', ')}`);
  return routes;
}

const junkText = junk.map((j) => {
  try {
    return typeof j === 'string' ? j : (JSON.stringify(j) ?? String(j));
  } catch {
    return String(j);
  }
});
const rawSegment = fc.constantFrom('%', '%zz', '..', '%2e%2e', '%00', '%ff', ' ', ';', '%2F', 'a'.repeat(20_000));

function pathOf(route: Route, samples: RestSamples): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
  const values = names.map((name) =>
    fc.oneof(
      { weight: 2, arbitrary: fc.constant(encodeURIComponent(samples.pathParams[name] ?? 'x')) },
      { weight: 2, arbitrary: junkText.map((t) => encodeURIComponent(Buffer.from(t.slice(0, 2000)).toString()) || '%20') },
      { weight: 1, arbitrary: rawSegment },
    ),
  );
  return fc.tuple(...values).map((filled) => names.reduce((p, name, i) => p.replace(`{${name}}`, filled[i]!), route.path));
}

function queryOf(route: Route): fc.Arbitrary<string> {
  const declared = route.parameters.filter((p) => p.in === 'query');
  const key = fc.oneof(
    ...(declared.length ? [fc.constantFrom(...declared.map((p) => p.name))] : []),
    fc.constantFrom('__proto__', 'constructor', '__proto__[polluted]', 'a[b][c]', 'limit[]'),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    junkText.map((t) => t.slice(0, 1000)),
    ...declared.flatMap((p) => (p.schema?.enum?.length ? [fc.constantFrom(...p.schema.enum)] : [])),
  );
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs)}` : '')),
    },
    { weight: 1, arbitrary: rawSegment.map((raw) => `?${raw}=${raw}`) },
  );
}

function bodyOf(route: Route, samples: RestSamples): fc.Arbitrary<{ body?: string; broke?: string }> {
  const sample = samples.bodies[`${route.method.toUpperCase()} ${route.path}`];
  return fc.oneof(
    fc.constant({}),
    junkText.map((body) => ({ body })),
    fc
      .constantFrom('{', '{"a":', 'null', '[]', '"x"', '{"__proto__":{"admin":true}}', `{"a":"${'x'.repeat(2_000_000)}"}`)
      .map((body) => ({ body })),
    // Only type changes and unknown keys: deleting an optional field would make a valid request.
    ...(sample
      ? [nearValid(sample, ['replace', 'extra-key']).map(({ payload, broke }) => ({ body: JSON.stringify(payload), broke }))]
      : []),
  );
}

function headersOf(credentials: Credentials): fc.Arbitrary<Record<string, string>> {
  const authorization = fc.oneof(
    fc.constant(undefined),
    fc.constant(`Bearer ${credentials.userToken}`),
    fc.constant(`Bearer ${credentials.adminToken}`),
    fc.constant(`Bearer ${credentials.foreignToken}`),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `bearer ${credentials.adminToken}`, `Bearer ${credentials.adminToken}x`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 200 }).map((t) => `Bearer ${t}`),
  );
  const contentType = fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-16',
    'multipart/form-data',
  );
  return fc.record({ authorization, contentType }).map(({ authorization, contentType }) => ({
    ...(authorization !== undefined ? { authorization } : {}),
    ...(contentType !== undefined ? { 'content-type': contentType } : {}),
  }));
}

/** A hostile request to any route: odd path parameters, query strings, bodies, content types and credentials. */
export function restInput(routes: Route[], samples: RestSamples, credentials: Credentials): fc.Arbitrary<RestInput> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        path: pathOf(route, samples),
        query: queryOf(route),
        headers: headersOf(credentials),
        body: route.method === 'get' ? fc.constant({}) : bodyOf(route, samples),
      })
      .map(({ path, query, headers, body }) => ({
        route: `${route.method.toUpperCase()} ${route.path}`,
        app: route.app,
        method: route.method.toUpperCase(),
        url: `${path}${query}`,
        headers,
        ...body,
      })),
  );
}
