/** Calls remembered at once: a phone has one call and a few rings; older entries are forgotten. */
const REMEMBERED_CALLS = 64;

/**
 * The highest version seen per call. Every lifecycle event carries the call's version at the change
 * it announces, and a redelivered event (after a gateway catch-up, or on a socket that moved between
 * nodes) carries one already seen: it is old news and dropped. A `call:state` answer or a resume
 * ack at version V covers every event up to V.
 */
export class CallVersions {
  private readonly seen = new Map<string, number>();

  /** True, and remembered, if `version` is newer than anything seen for the call. */
  fresh(callId: string, version: number): boolean {
    if (version <= (this.seen.get(callId) ?? 0)) return false;
    this.remember(callId, version);
    return true;
  }

  /** After a state answer or a resume ack: events at or below `version` are old news. */
  raise(callId: string, version: number): void {
    if (version > (this.seen.get(callId) ?? 0)) this.remember(callId, version);
  }

  private remember(callId: string, version: number): void {
    this.seen.delete(callId); // re-inserted last: the map's order is the order of use
    this.seen.set(callId, version);
    if (this.seen.size > REMEMBERED_CALLS) this.seen.delete(this.seen.keys().next().value!);
  }
}
