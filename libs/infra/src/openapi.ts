import { Param, Query, applyDecorators } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiResponse, type ApiResponseSchemaHost } from '@nestjs/swagger';
import { ERROR_HTTP_STATUS, type ErrorCode } from '#contracts';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe.js';

type SchemaObject = ApiResponseSchemaHost['schema'];

/** The OpenAPI document is generated from the same zod schemas that validate requests. */
export const openApiSchema = (schema: z.ZodType): SchemaObject =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'output', unrepresentable: 'any' }) as SchemaObject;

type ParameterSchema = NonNullable<SchemaObject> & { description?: string };

/** Each field of an object schema as an OpenAPI parameter: its name, whether it must be given, its schema. */
function parametersOf(schema: z.ZodObject): { name: string; required: boolean; schema: ParameterSchema }[] {
  // io: 'input': a field with a default need not be sent, and a coerced number is documented as a number.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, ParameterSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

/**
 * A parameter decorator that validates with `schema` and documents every field of it in OpenAPI,
 * from the one schema: a filter added to a query cannot be left out of the document.
 */
function zodParameters(where: 'query' | 'path', schema: z.ZodObject): ParameterDecorator {
  return (target, key, index) => {
    (where === 'query' ? Query : Param)(new ZodValidationPipe(schema))(target, key, index);
    const descriptor = Object.getOwnPropertyDescriptor(target, key!)!;
    for (const p of parametersOf(schema)) {
      const options = { name: p.name, required: where === 'path' || p.required, schema: p.schema, description: p.schema.description };
      (where === 'query' ? ApiQuery(options) : ApiParam(options))(target, key!, descriptor);
    }
  };
}

/** `@Query()` validated by `schema`, each of its fields an OpenAPI query parameter. */
export const ZodQuery = (schema: z.ZodObject): ParameterDecorator => zodParameters('query', schema);

/** `@Param()` validated by `schema`, each of its fields an OpenAPI path parameter. */
export const ZodParams = (schema: z.ZodObject): ParameterDecorator => zodParameters('path', schema);

/**
 * The error answers an operation can give, grouped by HTTP status, each as `{ code, message }` with
 * its possible codes: what a client switches on, described where the routes are.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_HTTP_STATUS[code], [...(byStatus.get(ERROR_HTTP_STATUS[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.join(', '),
        schema: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string', enum: list }, message: { type: 'string' } },
        },
      }),
    ),
  );
}
