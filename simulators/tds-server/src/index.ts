export { SqlDatabase, Table, type Row, type WriteEvent } from './database.js';
export { createTdsServer, type TdsServer, type TdsServerOptions } from './server.js';
export type { ServerUser, TdsConnection } from './connection.js';
export { SqlError } from './errors.js';
export type { SqlType, SqlValue, ColumnDef } from './types.js';
export type { QueryParams, QueryResult } from './sql/session.js';
export type { TlsMode } from './prelogin.js';
