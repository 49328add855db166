/**
 * Helpers for tests that drive the cloud (import '@plant-twin/cloud/testing'): the OEE of a
 * simulator's own record, the messages a pod would publish for it, and the comparison.
 */
export { truthOee, podMessages, oeeDiffPp, oeeDifferences, type SimTruth } from './truth.js';
export { MessageFactory, batch } from './messages.js';
export { call, type HttpResult } from './http.js';
export { freshDb, dbKinds, type DbKind } from './db.js';
export { openCloudDb } from '../db/open.js';
export { CookieClient, cookieLogin } from './session.js';
export { startTestCloud, testCloudConfig, testEdge, type TestCloud } from './cloud.js';
