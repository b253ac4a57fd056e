import { describe, expect, it } from '@jest/globals';
import { CallRole, QualitySample } from '#contracts';
import { CANDIDATE_TYPE_CODES, PARTY_CODES } from './quality-sample-codes.js';

describe('the stored codes of quality samples', () => {
  it('give every candidate type and party of the contract a code', () => {
    expect([...CANDIDATE_TYPE_CODES].sort()).toEqual([...QualitySample.shape.candidateType.unwrap().options].sort());
    expect([...PARTY_CODES].sort()).toEqual([...CallRole.options].sort());
  });
});
