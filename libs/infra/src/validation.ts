import { z } from 'zod';
import { AppError, ErrorCode, TOO_LARGE_ISSUE } from '#contracts';

function describe(error: z.ZodError): { code: ErrorCode; message: string } {
  const tooLarge = error.issues.some((i) => i.code === 'custom' && i.params?.kind === TOO_LARGE_ISSUE);
  const message = error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return { code: tooLarge ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.VALIDATION_FAILED, message };
}

/** The one validation path: socket payloads, HTTP bodies, job payloads all go through here. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { code, message } = describe(parsed.error);
  throw new AppError(code, message);
}
