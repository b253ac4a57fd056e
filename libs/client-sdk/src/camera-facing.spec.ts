import { describe, expect, it } from '@jest/globals';
import { type CameraInfo, candidatesFor, facingOf } from './camera-facing.js';

const none = { failed: new Set<string>() };
const ids = (cameras: CameraInfo[]) => cameras.map((c) => c.deviceId);

describe('facingOf', () => {
  it.each([
    [['environment'], 'whatever', 'back'],
    ['user', 'Back Camera', 'front'], // what the device reports beats its label
    [[], 'Back Camera', 'back'],
    [undefined, 'camera2 1, facing front', 'front'],
    [[], 'FaceTime HD Camera', 'front'],
    [['left'], 'fake_device_0', undefined],
  ])('%j / %s → %s', (reported, label, facing) => expect(facingOf(reported, label)).toBe(facing));
});

describe('candidatesFor', () => {
  const phone: CameraInfo[] = [
    { deviceId: 'f', label: 'Front Camera', facing: 'front' },
    { deviceId: 'b1', label: 'Back Camera', facing: 'back' },
    { deviceId: 'b2', label: 'Back Ultra Wide Camera', facing: 'back' },
  ];

  it('takes only cameras that face the wanted way, the one used before first', () => {
    expect(ids(candidatesFor(phone, 'f', 'back', none))).toEqual(['b1', 'b2']);
    expect(ids(candidatesFor(phone, 'f', 'back', { lastUsed: 'b2', failed: new Set() }))).toEqual(['b2', 'b1']);
    expect(ids(candidatesFor(phone, 'b1', 'front', none))).toEqual(['f']);
  });

  it('refuses (nothing to try) with one camera, or when every other camera faces the same way', () => {
    expect(candidatesFor([phone[0]!], 'f', 'back', none)).toEqual([]);
    expect(candidatesFor(phone.slice(1), 'b1', 'front', none)).toEqual([]);
  });

  it('falls back to cameras that report nothing, with IR/depth and failed ones last', () => {
    const laptop: CameraInfo[] = [
      { deviceId: 'rgb', label: 'Integrated Camera' },
      { deviceId: 'ir', label: 'Integrated IR Camera' },
      { deviceId: 'usb', label: 'USB Camera' },
      { deviceId: 'fake_1', label: 'fake_device_1' },
    ];
    expect(ids(candidatesFor(laptop, 'rgb', 'back', { failed: new Set(['fake_1']) }))).toEqual(['usb', 'ir', 'fake_1']);
  });
});
