import type { ApnsScriptBehaviour } from './apns-script-behaviour.js';

interface ActiveScript {
  readonly behaviour: ApnsScriptBehaviour;
  remaining: number;
}

/** Scripted behaviours per device token (case-insensitive, as hex tokens are). */
export class ApnsSandboxScripts {
  private readonly byToken = new Map<string, ActiveScript>();

  set(token: string, behaviour: ApnsScriptBehaviour): void {
    const times = behaviour.times ?? Number.POSITIVE_INFINITY;
    if (times !== Number.POSITIVE_INFINITY && (!Number.isInteger(times) || times < 1)) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    this.byToken.set(token.toLowerCase(), { behaviour, remaining: times });
  }

  delete(token: string): void {
    this.byToken.delete(token.toLowerCase());
  }

  clear(): void {
    this.byToken.clear();
  }

  /** Uses up one application of the token's script; null when the token is not scripted. */
  take(token: string): ApnsScriptBehaviour | null {
    const key = token.toLowerCase();
    const script = this.byToken.get(key);
    if (!script) return null;
    script.remaining -= 1;
    if (script.remaining <= 0) this.byToken.delete(key);
    return script.behaviour;
  }
}
