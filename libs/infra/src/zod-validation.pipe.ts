import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { parseOrThrow } from './validation.js';

/** Validates one handler argument (socket payload, HTTP body, query or params) with a zod schema. */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    return parseOrThrow(this.schema, value);
  }
}
