import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Normalises the provider key to the EC P-256 public key ES256 needs. A private key (the .p8
 * itself) is accepted too: Node derives its public half, which spares developers an openssl step.
 */
export function toApnsPublicKey(key: KeyObject | string): KeyObject {
  const publicKey = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('APNs provider tokens are ES256: expected an EC P-256 key');
  }
  return publicKey;
}
