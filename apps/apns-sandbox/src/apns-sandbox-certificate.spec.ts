import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { createSandboxCertificate } from './apns-sandbox-certificate.js';

describe('the sandbox certificate', () => {
  it('covers the names a client on another host uses (the compose service), besides localhost', async () => {
    const cert = new X509Certificate((await createSandboxCertificate(['apns-sandbox'])).cert);
    expect(cert.checkHost('apns-sandbox')).toBe('apns-sandbox');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('notifier')).toBeUndefined();
  });
});
