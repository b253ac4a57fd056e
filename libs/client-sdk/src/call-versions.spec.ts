import { describe, expect, it } from '@jest/globals';
import { CallVersions } from './call-versions.js';

describe('CallVersions', () => {
  it('keeps the highest version per call and drops events at or below it', () => {
    const versions = new CallVersions();
    expect(versions.fresh('a', 1)).toBe(true);
    expect(versions.fresh('a', 1)).toBe(false); // the same event delivered twice
    expect(versions.fresh('a', 3)).toBe(true);
    expect(versions.fresh('a', 2)).toBe(false); // late: a newer change was already applied
    expect(versions.fresh('b', 1)).toBe(true); // per call
  });

  it('treats events at or below a state answer or resume ack as old news', () => {
    const versions = new CallVersions();
    versions.fresh('a', 2);
    versions.raise('a', 5);
    expect(versions.fresh('a', 5)).toBe(false);
    expect(versions.fresh('a', 6)).toBe(true);
    versions.raise('a', 4); // never lowers
    expect(versions.fresh('a', 6)).toBe(false);
  });

  it('forgets the least recently used calls beyond a few dozen', () => {
    const versions = new CallVersions();
    versions.fresh('first', 9);
    for (let i = 0; i < 64; i++) versions.fresh(`call-${i}`, 1);
    expect(versions.fresh('first', 1)).toBe(true);
    expect(versions.fresh('call-63', 1)).toBe(false);
  });
});
