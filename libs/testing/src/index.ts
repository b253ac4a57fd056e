export * from './test-database.js';
export * from './app-process.js';
export * from './signaling-client.js';
export * from './platform.js';
export * from './coturn.js';
export * from './turn-allocation.js';
export * from './browser.js';
