export * from './call-client.js';
export * from './peer-session.js';
export * from './quality-sampler.js';
export * from './sdk-error.js';
export * from './seq-buffer.js';
export * from './signaling-connection.js';
export * from './typed-emitter.js';
