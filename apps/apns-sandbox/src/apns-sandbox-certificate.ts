import { generate } from 'selfsigned';

export interface SandboxCertificate {
  /** PKCS#8 PEM private key. */
  readonly key: string;
  /** PEM certificate; being self-signed, it is also the CA clients must trust. */
  readonly cert: string;
}

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A throwaway certificate for localhost and the loopback addresses. EC keeps generation in the
 * tens of milliseconds (RSA-2048 takes far longer), and the SANs let clients verify it by IP or by
 * the `localhost` servername without turning verification off. `hostnames` adds names other
 * machines reach it by (the `apns-sandbox` service in Docker Compose).
 */
export async function createSandboxCertificate(hostnames: readonly string[] = []): Promise<SandboxCertificate> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - ONE_DAY_MS),
    notAfterDate: new Date(now + 30 * ONE_DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          ...hostnames.map((value) => ({ type: 2 as const, value })),
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
