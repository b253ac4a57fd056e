/** One judged input: answered with a code (or `ok`, or an HTTP status), or not, and why. */
export type Outcome = { answered: true; code: string } | { answered: false; why: string };

const MAX_KEPT = 20;

/** A short, printable account of an input, for the failures listed in hostile.json. */
export function describeInput(input: unknown): string {
  try {
    const text = JSON.stringify(input, (_k, v: unknown) =>
      typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v,
    );
    return (text ?? String(input)).slice(0, 400);
  } catch (error) {
    const { event, route } = input as { event?: string; route?: string };
    return `${event ?? route ?? '?'}: unprintable (${(error as Error).message})`;
  }
}

/** Counts inputs and their answers; keeps the first few failures for the report. */
export class Tally {
  tried = 0;
  unanswered = 0;
  readonly codes: Record<string, number> = {};
  readonly failures: { input: string; why: string }[] = [];
  readonly notes: string[] = [];
  /** Inputs that were accepted (`ok`): none is valid by construction, so each is worth a look. */
  readonly accepted: string[] = [];

  /** `of` groups the answers (an event, a route), so hostile.json tells which input got which code. */
  record(input: string, outcome: Outcome, of: string): void {
    this.tried += 1;
    if (outcome.answered) {
      const key = `${of} → ${outcome.code}`;
      this.codes[key] = (this.codes[key] ?? 0) + 1;
      if (outcome.code === 'ok' && this.accepted.length < MAX_KEPT) this.accepted.push(input);
      return;
    }
    this.unanswered += 1;
    if (this.failures.length < MAX_KEPT) this.failures.push({ input, why: outcome.why });
  }

  note(text: string): void {
    if (this.notes.length < MAX_KEPT) this.notes.push(text);
  }
}
