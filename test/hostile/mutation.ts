import fc from 'fast-check';
import { junk, otherType, pollutingKey } from './junk.js';

type Json = Record<string, unknown>;

/** Every object in a payload, by path (the root is []), and every field, by path. */
function walk(value: unknown, path: string[] = [], objects: string[][] = [], fields: string[][] = []) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    objects.push(path);
    for (const [key, child] of Object.entries(value)) {
      fields.push([...path, key]);
      walk(child, [...path, key], objects, fields);
    }
  }
  return { objects, fields };
}

const at = (root: unknown, path: string[]): Json => path.reduce((o, k) => (o as Json)[k], root) as Json;

/** `define`, not assignment: `o.__proto__ = x` would change the prototype instead of adding a key. */
const define = (target: Json, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });

/** Whether a typed array or buffer sits anywhere inside (iterative: junk nests thousands deep). */
function holdsBinary(value: unknown): boolean {
  const pending = [value];
  while (pending.length) {
    const next = pending.pop();
    if (ArrayBuffer.isView(next) || next instanceof ArrayBuffer) return true;
    if (next && typeof next === 'object') pending.push(...Object.values(next));
  }
  return false;
}

export type Mutation = 'replace' | 'delete' | 'extra-key';

/**
 * A valid payload with one thing broken: a field replaced by a value of another type, a field
 * removed, or a key the strict schema does not know added to one of its objects.
 */
export function nearValid(
  valid: () => Json,
  mutations: Mutation[] = ['replace', 'delete', 'extra-key'],
): fc.Arbitrary<{ payload: Json; broke: string }> {
  return fc
    .record({
      mutation: fc.constantFrom(...mutations),
      pick: fc.nat(),
      value: junk,
      key: fc.oneof(pollutingKey, fc.string({ minLength: 1, maxLength: 12 })),
    })
    .map(({ mutation, pick, value, key }) => {
      const payload = valid();
      const { objects, fields } = walk(payload);
      if (mutation === 'extra-key' || fields.length === 0) {
        const path = objects[pick % objects.length]!;
        const target = at(payload, path);
        // An undefined value would vanish from the JSON and leave the payload valid; so would a
        // `__proto__` whose value holds binary (Socket.IO's client rebuilds such packets by assignment).
        const kept = value === undefined || holdsBinary(value) ? null : value;
        define(target, Object.prototype.hasOwnProperty.call(target, key) ? `${key}_` : key, kept);
        return { payload, broke: `extra key ${JSON.stringify(key)} at /${path.join('/')}` };
      }
      const path = fields[pick % fields.length]!;
      const parent = at(payload, path.slice(0, -1));
      const field = path.at(-1)!;
      if (mutation === 'delete') delete parent[field];
      else define(parent, field, otherType(value, parent[field]));
      return { payload, broke: `${mutation} /${path.join('/')}` };
    });
}
