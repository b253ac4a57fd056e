import fc from 'fast-check';

/** Keys that poison a naive `Object.assign` or merge: they must reach the server as plain own keys. */
export const pollutingKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'then');

const hugeString = fc
  .tuple(fc.nat({ max: 60_000 }), fc.constantFrom('x', 'é', '😀', '\u0000', '%s', '\u202e', '\ud800'))
  .map(([length, unit]) => unit.repeat(length));

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'undefined',
    '{}',
    '[]',
    "' OR 1=1 --",
    '../../etc/passwd',
    '%00',
    '%',
    '\u202e',
    '\ud800',
    'union select',
  ),
  hugeString,
);

// Infinity and NaN travel as null in JSON; the out-of-range ones arrive as they are.
const oddNumber = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 2 ** 31, 2 ** 53 + 2, -(2 ** 53), 1e308, 5e-324),
  fc.integer(),
  fc.double(),
);

const leaf = fc.oneof(oddString, oddNumber, fc.boolean(), fc.constant(null), fc.constant(undefined));

/** An object whose own keys may be `__proto__` and friends (Object.fromEntries defines, never assigns). */
export const objectOf = (value: fc.Arbitrary<unknown>) =>
  fc
    .array(fc.tuple(fc.oneof(pollutingKey, fc.string({ maxLength: 16 })), value), { maxLength: 6 })
    .map((entries) => Object.fromEntries(entries));

const nested: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 5 }), objectOf(tie('value'))),
})).value;

/** Thousands of levels: a recursive validator or serializer would blow its stack on it. */
const deep = fc.tuple(fc.integer({ min: 100, max: 3000 }), fc.boolean()).map(([depth, asArray]) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = asArray ? [value] : { a: value };
  return value;
});

/** Any hostile value: wrong types, huge and odd strings, odd numbers, nesting, polluting keys, binary. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  leaf,
  nested,
  deep,
  fc.anything({ withTypedArray: true, withNullPrototype: true, withSparseArray: true, maxDepth: 4 }),
);

/** A value of another type than `original`, so that putting it in `original`'s place never validates. */
export function otherType(replacement: unknown, original: unknown): unknown {
  const kind = (v: unknown) => (v === null || v === undefined ? 'nothing' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(replacement) === 'nothing' || kind(replacement) === kind(original)) return [replacement ?? 0];
  return replacement;
}
