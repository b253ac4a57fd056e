import { z } from 'zod';
import {
  ClientEvents,
  CONNECT_ERROR_CODES,
  ErrorCode,
  HandshakeAuth,
  IceCandidate,
  MAX_CANDIDATE_BYTES,
  MAX_SDP_BYTES,
  MAX_SOCKET_MESSAGE_BYTES,
  SIGNALING_NAMESPACE,
  ServerEvents,
  SessionDescription,
  Timeouts,
  TOO_LARGE_ISSUE,
} from '#contracts';

export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

const CHANNEL = 'signaling';
const SERVER = 'gateway';
const ref = (pointer: string): JsonObject => ({ $ref: pointer });
const schemaRef = (name: string) => ref(`#/components/schemas/${name}`);
const channelRef = () => ref(`#/channels/${CHANNEL}`);
const channelMessageRef = (id: string) => ref(`#/channels/${CHANNEL}/messages/${id}`);

/** Component keys may not contain ':' (AsyncAPI: ^[a-zA-Z0-9.\-_]+$), so `call:ice-candidate` → `callIceCandidate`. */
const camel = (event: string) =>
  event
    .split(/[:-]/)
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
const pascal = (event: string) => {
  const id = camel(event);
  return id.charAt(0).toUpperCase() + id.slice(1);
};

/**
 * JSON Schema has no byte-length keyword and zod drops refinements when converting, so the two
 * byte limits would vanish from the document. They are restored by schema identity; a new
 * too-large refinement without an entry here stops generation instead of being silently lost.
 */
const BYTE_LIMITS = new Map<z.core.$ZodType, number>([
  [SessionDescription.shape.sdp, MAX_SDP_BYTES],
  [IceCandidate.shape.candidate, MAX_CANDIDATE_BYTES],
]);

const hasByteLimitRefinement = (schema: z.core.$ZodType) =>
  (schema._zod.def.checks ?? []).some((check) => (check._zod.def as { params?: { kind?: unknown } }).params?.kind === TOO_LARGE_ISSUE);

/**
 * AsyncAPI 3's default schema format is a superset of JSON Schema draft-07. `io: 'input'` describes
 * what a parser accepts: strict client payloads keep `additionalProperties: false`, while server
 * messages stay open, because adding a field to them is a compatible change clients must tolerate.
 */
function jsonSchema(schema: z.ZodType): JsonObject {
  const converted = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    override: ({ zodSchema, jsonSchema: json, path }) => {
      if (!hasByteLimitRefinement(zodSchema)) return;
      const limit = BYTE_LIMITS.get(zodSchema);
      if (limit === undefined) throw new Error(`asyncapi: byte-limit refinement at ${path.join('.')} has no entry in BYTE_LIMITS`);
      json.description = `At most ${limit} bytes once UTF-8 encoded; larger values are refused with PAYLOAD_TOO_LARGE.`;
      json['x-max-bytes'] = limit;
    },
  });
  const { $schema: _dialect, ...body } = converted;
  return body as JsonObject;
}

function sharedSchemas(): JsonObject {
  return {
    ErrorCode: {
      type: 'string',
      enum: Object.values(ErrorCode),
      description:
        'Stable error code: switch on it, never on `message`. New codes may be added; treat an unknown one as a failure of that message.',
    },
    ErrorBody: {
      type: 'object',
      properties: {
        code: schemaRef('ErrorCode'),
        message: { type: 'string', description: 'For humans and logs; may change.' },
        retryAfterMs: {
          type: 'integer',
          minimum: 0,
          description: 'With RATE_LIMITED only: wait this long before sending that kind of message again.',
        },
      },
      required: ['code', 'message'],
    },
    AckFailure: {
      type: 'object',
      properties: { ok: { const: false }, error: schemaRef('ErrorBody') },
      required: ['ok', 'error'],
    },
    HandshakeAuth: jsonSchema(HandshakeAuth),
    ConnectErrorData: {
      type: 'object',
      description: 'The `data` of a Socket.IO `connect_error` raised by the gateway when it refuses a handshake.',
      properties: { code: { type: 'string', enum: [...CONNECT_ERROR_CODES] }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  };
}

interface Parts {
  schemas: JsonObject;
  messages: JsonObject;
  operations: JsonObject;
}

/** Two event names mapping to one component key would silently drop a message from the document. */
function put(target: JsonObject, key: string, value: Json): void {
  if (key in target) throw new Error(`asyncapi: component key ${key} is produced twice`);
  target[key] = value;
}

function addClientEvents(parts: Parts): void {
  for (const [event, { payload, result, summary }] of Object.entries(ClientEvents)) {
    const id = camel(event);
    const ackId = `${id}Ack`;
    put(parts.schemas, `${pascal(event)}Payload`, jsonSchema(payload));
    put(parts.schemas, `${pascal(event)}Result`, jsonSchema(result));
    put(parts.schemas, `${pascal(event)}Ack`, {
      oneOf: [
        {
          type: 'object',
          properties: { ok: { const: true }, data: schemaRef(`${pascal(event)}Result`) },
          required: ['ok', 'data'],
        },
        schemaRef('AckFailure'),
      ],
    });
    put(parts.messages, id, { name: event, title: event, summary, payload: schemaRef(`${pascal(event)}Payload`) });
    put(parts.messages, ackId, {
      title: `${event} acknowledgement`,
      summary: `The Socket.IO acknowledgement of ${event}: ok with the result, or the error.`,
      payload: schemaRef(`${pascal(event)}Ack`),
    });
    put(parts.operations, `receive${pascal(event)}`, {
      action: 'receive',
      channel: channelRef(),
      summary,
      description: 'Emit with an acknowledgement callback (emitWithAck); the gateway answers through it.',
      messages: [channelMessageRef(id)],
      reply: { channel: channelRef(), messages: [channelMessageRef(ackId)] },
    });
  }
}

function addServerEvents(parts: Parts): void {
  for (const [event, { payload, summary }] of Object.entries(ServerEvents)) {
    const id = `${camel(event)}Event`;
    put(parts.schemas, `${pascal(event)}EventPayload`, jsonSchema(payload));
    put(parts.messages, id, { name: event, title: event, summary, payload: schemaRef(`${pascal(event)}EventPayload`) });
    put(parts.operations, `send${pascal(event)}Event`, {
      action: 'send',
      channel: channelRef(),
      summary,
      messages: [channelMessageRef(id)],
    });
  }
}

/** The AsyncAPI 3.0.0 description of the gateway's Socket.IO protocol, built only from #contracts. */
export function buildAsyncApiDocument(): JsonObject {
  const parts: Parts = { schemas: sharedSchemas(), messages: {}, operations: {} };
  addClientEvents(parts);
  addServerEvents(parts);
  const channelMessages: JsonObject = {};
  for (const id of Object.keys(parts.messages)) channelMessages[id] = ref(`#/components/messages/${id}`);

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Video calls signaling',
      version: '1',
      description: [
        'Signaling for one-on-one WebRTC video calls between iPhones, spoken over Socket.IO v4.',
        'This document describes the gateway: `receive` operations are messages a client emits, each answered',
        'through its Socket.IO acknowledgement with `{ ok: true, data }` or `{ ok: false, error: { code, message } }`;',
        '`send` operations are events the gateway emits. Generated from libs/contracts by tools/asyncapi.ts;',
        'do not edit by hand. Behaviour, sequences and error handling: docs/protocol.md.',
      ].join('\n'),
      'x-limits': {
        maxSdpBytes: MAX_SDP_BYTES,
        maxCandidateBytes: MAX_CANDIDATE_BYTES,
        maxSocketMessageBytes: MAX_SOCKET_MESSAGE_BYTES,
        ringTimeoutMs: Timeouts.RING_TIMEOUT_MS,
      },
    },
    defaultContentType: 'application/json',
    servers: {
      [SERVER]: {
        host: 'localhost:3000',
        protocol: 'ws',
        pathname: SIGNALING_NAMESPACE,
        title: 'Signaling gateway (local development)',
        description: [
          `Socket.IO v4 (Engine.IO protocol 4), namespace ${SIGNALING_NAMESPACE}; the Engine.IO endpoint is the default /socket.io/ path.`,
          'Connect with the WebSocket transport only: gateway nodes share rooms through Redis without sticky sessions.',
          'Use wss:// in production. A frame larger than maxSocketMessageBytes closes the connection.',
        ].join(' '),
        security: [ref('#/components/securitySchemes/accessToken')],
        'x-handshake': {
          description:
            'Sent as the Socket.IO `auth` payload of the namespace CONNECT packet. A refused handshake ends in `connect_error` whose `data` is ConnectErrorData; Socket.IO does not retry it on its own.',
          auth: schemaRef('HandshakeAuth'),
          connectErrorData: schemaRef('ConnectErrorData'),
        },
      },
    },
    channels: {
      [CHANNEL]: {
        address: SIGNALING_NAMESPACE,
        title: 'Signaling namespace, protocol v1',
        description: 'Every message of protocol v1 travels on this one Socket.IO namespace; a breaking change gets a new namespace.',
        servers: [ref(`#/servers/${SERVER}`)],
        messages: channelMessages,
      },
    },
    operations: parts.operations,
    components: {
      schemas: parts.schemas,
      messages: parts.messages,
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Verified once, at the handshake; send it as `auth.token` (preferred) or an `Authorization: Bearer` header. An open socket outlives the token, a reconnect needs a valid one.',
        },
      },
    },
  };
}
