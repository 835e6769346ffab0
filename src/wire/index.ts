export * from './address.js';
export * from './codes.js';
export * from './result.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './frame.js';
