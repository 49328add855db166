export * from './schema.js';
export * from './load.js';
export * from './s7-address.js';
export * from './s7-mailbox.js';
export * from './sql-vendor.js';
export * from './file-formats.js';
export * from './salvage.js';
export * from './site-deployment.js';
