import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { BUNDLE, KEY_ID, nowSeconds, SandboxFixture, TEAM_ID, TOKEN, UUID_V4, type PushSpec } from './testing/sandbox-fixture.js';

/** A JSON body of exactly `bytes` bytes (19 bytes of structure plus padding). */
const bodyOf = (bytes: number) => JSON.stringify({ aps: {}, pad: 'x'.repeat(bytes - 19) });
const hex = (pairs: number, pair = 'ab') => pair.repeat(pairs);

describe('ApnsSandbox validation', () => {
  const fx = new SandboxFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());
  beforeEach(() => fx.sandbox.reset());

  const push = (overrides: Record<string, string | undefined>, body?: string) => () => fx.validPush(overrides, body);
  const signed =
    (iat?: number, ids = { keyId: KEY_ID, teamId: TEAM_ID }) =>
    async () =>
      fx.validPush({ authorization: `bearer ${await fx.providerToken(iat, fx.privateKey, ids)}` });

  const rejections: Array<[string, () => Promise<PushSpec>, number, string]> = [
    ['a path outside /3/device', push({ ':path': `/3/devices/${TOKEN}` }), 404, 'BadPath'],
    ['a GET', push({ ':method': 'GET' }), 405, 'MethodNotAllowed'],
    ['no token in the path', push({ ':path': '/3/device/' }), 400, 'MissingDeviceToken'],
    ['a 62-character token', push({ ':path': `/3/device/${hex(31)}` }), 400, 'BadDeviceToken'],
    ['an odd-length token', push({ ':path': `/3/device/${TOKEN}a` }), 400, 'BadDeviceToken'],
    ['a non-hex token', push({ ':path': `/3/device/${hex(32, 'zz')}` }), 400, 'BadDeviceToken'],
    ['a 202-character token', push({ ':path': `/3/device/${hex(101)}` }), 400, 'BadDeviceToken'],
    ['no authorization', push({ authorization: undefined }), 403, 'MissingProviderToken'],
    ['a non-bearer authorization', push({ authorization: 'Basic Zm9vOmJhcg==' }), 403, 'MissingProviderToken'],
    ['a malformed JWT', push({ authorization: 'bearer not.a.jwt' }), 403, 'InvalidProviderToken'],
    ['a wrong kid', signed(undefined, { keyId: 'OTHERKEY00', teamId: TEAM_ID }), 403, 'InvalidProviderToken'],
    ['a wrong iss', signed(undefined, { keyId: KEY_ID, teamId: 'OTHERTEAM0' }), 403, 'InvalidProviderToken'],
    ['iat in milliseconds', signed(Date.now()), 403, 'InvalidProviderToken'],
    ['an iat 3601 s old', signed(nowSeconds() - 3601), 403, 'ExpiredProviderToken'],
    ['no topic', push({ 'apns-topic': undefined }), 400, 'MissingTopic'],
    ['another app’s topic', push({ 'apns-topic': 'com.other.app.voip' }), 400, 'TopicDisallowed'],
    ['an unknown push type', push({ 'apns-push-type': 'video' }), 400, 'InvalidPushType'],
    ['no push type', push({ 'apns-push-type': undefined }), 400, 'InvalidPushType'],
    ['voip to the bare bundle topic', push({ 'apns-topic': BUNDLE }), 400, 'TopicDisallowed'],
    ['priority 7', push({ 'apns-priority': '7' }), 400, 'BadPriority'],
    ['a non-integer expiration', push({ 'apns-expiration': '12.5' }), 400, 'BadExpirationDate'],
    ['a 65-byte collapse id', push({ 'apns-collapse-id': 'c'.repeat(65) }), 400, 'BadCollapseId'],
    ['a 33-character, 66-byte collapse id', push({ 'apns-collapse-id': 'é'.repeat(33) }), 400, 'BadCollapseId'],
    ['a non-UUID apns-id', push({ 'apns-id': 'call-1' }), 400, 'BadMessageId'],
    ['an empty body', push({}, ''), 400, 'PayloadEmpty'],
    ['a 5121-byte VoIP body', push({}, bodyOf(5121)), 413, 'PayloadTooLarge'],
    ['a 4097-byte alert body', push({ 'apns-push-type': 'alert', 'apns-topic': BUNDLE }, bodyOf(4097)), 413, 'PayloadTooLarge'],
    // The earliest check wins.
    ['a bad token and no authorization', push({ ':path': '/3/device/abc', authorization: undefined }), 400, 'BadDeviceToken'],
    ['no authorization and no topic', push({ authorization: undefined, 'apns-topic': undefined }), 403, 'MissingProviderToken'],
    ['no topic and a bad priority', push({ 'apns-topic': undefined, 'apns-priority': '7' }), 400, 'MissingTopic'],
  ];

  it.each(rejections)('rejects %s', async (_name, build, status, reason) => {
    const answer = await fx.send(await build());

    expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({ status, body: { reason } });
    expect(answer.headers['apns-id']).toMatch(UUID_V4);
    expect(answer.headers['apns-unique-id']).toBeUndefined();
    expect(fx.last()).toMatchObject({ status, reason, scripted: false, outcome: 'answered' });
  });

  const acceptances: Array<[string, () => Promise<PushSpec>]> = [
    ['a 5120-byte VoIP body', push({}, bodyOf(5120))],
    ['a 4096-byte alert body', push({ 'apns-push-type': 'alert', 'apns-topic': BUNDLE }, bodyOf(4096))],
    ['a 64-byte collapse id', push({ 'apns-collapse-id': 'c'.repeat(64) })],
    ['priority 5 and an uppercase 200-character token', push({ 'apns-priority': '5', ':path': `/3/device/${hex(100, 'AB')}` })],
    ['priority 1', push({ 'apns-priority': '1' })],
    ['no priority, expiration or apns-id', push({ 'apns-priority': undefined, 'apns-expiration': undefined })],
    ['a body that is not JSON (APNs does not parse it)', push({}, 'not json')],
    ['a token issued 59 minutes ago', signed(nowSeconds() - 59 * 60)],
  ];

  it.each(acceptances)('accepts %s', async (_name, build) => {
    const answer = await fx.send(await build());
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: '' });
  });
});
