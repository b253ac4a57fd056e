import { describe, expect, it } from '@jest/globals';
import { documentedKeys, readDoc } from '#testing';
import { CONNECT_ERROR_CODES, TimelineType } from './index.js';

/** docs/protocol.md is a contract the iOS team builds from: its lists are the code's lists. */
describe('docs/protocol.md', () => {
  const protocol = readDoc('protocol.md');

  it('lists every code a refused handshake can carry, and no other', () => {
    expect(documentedKeys(protocol, '`err.data.code`').sort()).toEqual([...CONNECT_ERROR_CODES].sort());
  });

  it('lists every call timeline entry type, and no other', () => {
    expect(documentedKeys(protocol, 'Entry `type`').sort()).toEqual(Object.values(TimelineType).sort());
  });
});
