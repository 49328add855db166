export * from './tools.js';
export * from './partial-body.js';
