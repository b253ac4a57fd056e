import type { DestinationStream } from 'pino';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Record<number, number> = { 10: 90, 20: 35, 30: 32, 40: 33, 50: 31, 60: 31 };
const SKIPPED = new Set(['level', 'time', 'pid', 'hostname', 'app', 'context', 'msg', 'stack']);

/**
 * Pino's JSON lines made readable for a person: time, level, [app] context, message, then the
 * fields as key=value. Development only; production ships JSON (LOG_FORMAT=json).
 */
export function textLogStream(colours: boolean, out: NodeJS.WritableStream = process.stdout): DestinationStream {
  const paint = (code: number, text: string) => (colours ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    write(line: string): void {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const level = Number(entry.level);
      const fields = Object.entries(entry)
        .filter(([key]) => !SKIPPED.has(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      const head = `${new Date(Number(entry.time)).toISOString()} ${paint(LEVEL_COLOURS[level] ?? 0, (LEVEL_NAMES[level] ?? String(level)).padEnd(5))}`;
      const where = `[${String(entry.app)}]${entry.context ? ` ${paint(33, String(entry.context))}` : ''}`;
      const stack = typeof entry.stack === 'string' ? `\n${entry.stack}` : '';
      out.write(`${head} ${where} ${String(entry.msg ?? '')}${fields ? ` ${paint(90, fields)}` : ''}${stack}\n`);
    },
  };
}
