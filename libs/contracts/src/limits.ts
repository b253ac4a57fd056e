/** Wire limits. A full SDP for audio+video with simulcast stays well below 16 KiB; 64 KiB leaves room. */
export const MAX_SDP_BYTES = 64 * 1024;
/** An ICE candidate line is ~100-200 bytes; 1 KiB rejects garbage without hurting real candidates. */
export const MAX_CANDIDATE_BYTES = 1024;
/**
 * Socket.IO's maxHttpBufferSize: the largest legal message (an SDP) plus envelope. Anything bigger is
 * cut by the transport before it reaches a handler, so it must stay above MAX_SDP_BYTES.
 */
export const MAX_SOCKET_MESSAGE_BYTES = MAX_SDP_BYTES + 16 * 1024;

/** zod issue param marking a refinement that failed because a value is too big (→ PAYLOAD_TOO_LARGE). */
export const TOO_LARGE_ISSUE = 'too-large';
