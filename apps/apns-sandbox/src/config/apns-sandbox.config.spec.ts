import { describe, expect, it } from '@jest/globals';
import { documentedKeys, readDoc } from '#testing';
import { ApnsSandboxConfigSchema } from './apns-sandbox.config.js';

describe('the APNs sandbox configuration', () => {
  it('is documented in docs/push.md, variable for variable', () => {
    expect(documentedKeys(readDoc('push.md'), 'Variable (sandbox)').sort()).toEqual(Object.keys(ApnsSandboxConfigSchema.shape).sort());
  });
});
