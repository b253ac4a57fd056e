import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { buildAsyncApiDocument, type Json, type JsonObject } from '../../../tools/asyncapi.js';
import { ClientEvents, ServerEvents } from './index.js';

const STALE = 'docs/asyncapi.json is stale: run npm run build && npm run docs:asyncapi';
const COMPONENT_KEY = /^[a-zA-Z0-9.\-_]+$/;

function readCommitted(): Json {
  try {
    return JSON.parse(readFileSync(new URL('../../../docs/asyncapi.json', import.meta.url), 'utf8')) as Json;
  } catch (error) {
    throw new Error(`${STALE} (${String(error)})`);
  }
}

const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

function obj(value: Json | undefined, where: string): JsonObject {
  if (!isObject(value)) throw new Error(`${where} is not an object`);
  return value;
}

function list(value: Json | undefined, where: string): Json[] {
  if (!Array.isArray(value)) throw new Error(`${where} is not an array`);
  return value;
}

/** Where two JSON values first part, so a stale document says what changed, not just that it did. */
function firstDifference(a: Json | undefined, b: Json | undefined, path = '$'): string | null {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
      const found = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = firstDifference(a[key], b[key], `${path}.${key}`);
      if (found) return found;
    }
    return null;
  }
  return isDeepStrictEqual(a, b) ? null : path;
}

function resolve(doc: JsonObject, pointer: string): Json {
  if (!pointer.startsWith('#/')) throw new Error(`${pointer} is not a local reference`);
  let node: Json = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) throw new Error(`${pointer} does not resolve`);
    node = node[key];
  }
  return node;
}

function refOf(value: Json | undefined, where: string): string {
  const pointer = obj(value, where).$ref;
  if (typeof pointer !== 'string') throw new Error(`${where} is not a $ref`);
  return pointer;
}

function allRefs(node: Json, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => allRefs(item, out));
  else if (isObject(node))
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else allRefs(value, out);
    }
  return out;
}

/** Component id of a message reached through `#/channels/<c>/messages/<id>` → `#/components/messages/<id>`. */
function messageId(doc: JsonObject, channelMessagePointer: string): string {
  if (!/^#\/channels\/[^/]+\/messages\/[^/]+$/.test(channelMessagePointer))
    throw new Error(`${channelMessagePointer}: an operation must name its messages through its channel's messages`);
  const pointer = refOf(resolve(doc, channelMessagePointer), channelMessagePointer);
  const prefix = '#/components/messages/';
  if (!pointer.startsWith(prefix)) throw new Error(`${channelMessagePointer} points outside components.messages`);
  return pointer.slice(prefix.length);
}

const sorted = (values: Iterable<string>) => [...values].sort();

describe('docs/asyncapi.json', () => {
  it('is what tools/asyncapi.ts builds from the contracts today', () => {
    const committed = readCommitted();
    const fresh = JSON.parse(JSON.stringify(buildAsyncApiDocument())) as Json;
    const difference = firstDifference(committed, fresh);
    if (difference) throw new Error(`${STALE} (first difference at ${difference})`);
  });
});

describe.each([
  ['the built document', () => buildAsyncApiDocument()],
  ['docs/asyncapi.json', () => obj(readCommitted(), 'docs/asyncapi.json')],
])('%s', (_label, load) => {
  const doc = load();
  const operations = Object.entries(obj(doc.operations, 'operations'));
  const components = obj(doc.components, 'components');
  const messages = obj(components.messages, 'components.messages');

  const namesFor = (action: 'send' | 'receive') =>
    operations
      .filter(([, op]) => obj(op, 'operation').action === action)
      .flatMap(([id, op]) => list(obj(op, id).messages, `${id}.messages`).map((m) => messageId(doc, refOf(m, id))))
      .map((id) => obj(messages[id], id).name);

  it('has one received message per ClientEvents entry and one sent message per ServerEvents entry', () => {
    expect(sorted(namesFor('receive') as string[])).toEqual(sorted(Object.keys(ClientEvents)));
    expect(sorted(namesFor('send') as string[])).toEqual(sorted(Object.keys(ServerEvents)));
  });

  it('has no message beyond the registries and their acknowledgements', () => {
    const used = new Map<string, 'event' | 'ack'>();
    for (const [id, op] of operations) {
      for (const m of list(obj(op, id).messages, `${id}.messages`)) used.set(messageId(doc, refOf(m, id)), 'event');
      const reply = obj(op, id).reply;
      if (reply !== undefined)
        for (const m of list(obj(reply, `${id}.reply`).messages, `${id}.reply.messages`)) used.set(messageId(doc, refOf(m, id)), 'ack');
    }
    expect(sorted(used.keys())).toEqual(sorted(Object.keys(messages)));
    // An acknowledgement is not an event on the wire, so it carries no event name.
    for (const [id, role] of used) expect([id, obj(messages[id], id).name === undefined]).toEqual([id, role === 'ack']);
  });

  it('has the shape of an AsyncAPI 3.0.0 document whose references all resolve', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(typeof obj(doc.info, 'info').title).toBe('string');
    expect(typeof obj(doc.info, 'info').version).toBe('string');
    for (const section of [doc.servers, doc.channels, doc.operations, ...Object.values(components)])
      for (const key of Object.keys(obj(section, 'section'))) expect(key).toMatch(COMPONENT_KEY);
    for (const pointer of allRefs(doc)) expect(() => resolve(doc, pointer)).not.toThrow();

    for (const [id, value] of operations) {
      const op = obj(value, id);
      expect(['send', 'receive']).toContain(op.action);
      const channel = refOf(op.channel, `${id}.channel`);
      expect(channel).toMatch(/^#\/channels\/[^/]+$/);
      obj(resolve(doc, channel), channel);
      const checkMessages = (owner: string, refs: Json | undefined) => {
        const entries = list(refs, `${id}.messages`);
        expect(entries.length).toBeGreaterThan(0);
        // AsyncAPI 3: an operation may only use messages of the channel it names.
        for (const m of entries) expect(refOf(m, id).startsWith(`${owner}/messages/`)).toBe(true);
        for (const m of entries) expect(obj(resolve(doc, refOf(m, id)), id)).toHaveProperty('$ref');
        for (const m of entries) obj(obj(messages[messageId(doc, refOf(m, id))], id).payload, `${id} payload`);
      };
      checkMessages(channel, op.messages);
      if (op.action === 'receive') {
        const reply = obj(op.reply, `${id}.reply`);
        checkMessages(refOf(reply.channel, `${id}.reply.channel`), reply.messages);
      }
    }
  });
});
