/** A SQL Server error as the client sees it in an ERROR token (number, state, class = severity). */
export class SqlError extends Error {
  constructor(
    readonly number: number,
    message: string,
    readonly severity = 16,
    readonly state = 1,
  ) {
    super(message);
  }
}

/** The error numbers and texts real SQL Server uses for the situations the simulator meets. */
export const sqlErrors = {
  syntax: (near: string) => new SqlError(102, `Incorrect syntax near '${near}'.`, 15, 1),
  syntaxEnd: () => new SqlError(102, 'Incorrect syntax near the end of the batch.', 15, 1),
  invalidObject: (name: string) => new SqlError(208, `Invalid object name '${name}'.`, 16, 1),
  invalidColumn: (name: string) => new SqlError(207, `Invalid column name '${name}'.`, 16, 1),
  mustDeclare: (name: string) => new SqlError(137, `Must declare the scalar variable "${name}".`, 15, 2),
  conversion: (from: string, value: string, to: string) =>
    new SqlError(245, `Conversion failed when converting the ${from} value '${value}' to data type ${to}.`, 16, 1),
  dateConversion: () => new SqlError(241, 'Conversion failed when converting date and/or time from character string.', 16, 1),
  notNull: (column: string, table: string, op: string) =>
    new SqlError(515, `Cannot insert the value NULL into column '${column}', table '${table}'; column does not allow nulls. ${op} fails.`, 16, 2),
  duplicate: (constraint: string, table: string, value: string) =>
    new SqlError(2627, `Violation of UNIQUE KEY constraint '${constraint}'. Cannot insert duplicate key in object '${table}'. The duplicate key value is (${value}).`, 14, 1),
  identityInsert: (table: string) =>
    new SqlError(544, `Cannot insert explicit value for identity column in table '${table}' when IDENTITY_INSERT is set to OFF.`, 16, 1),
  identityUpdate: (column: string) => new SqlError(8102, `Cannot update identity column '${column}'.`, 16, 1),
  truncated: (table: string, column: string, value: string) =>
    new SqlError(2628, `String or binary data would be truncated in table '${table}', column '${column}'. Truncated value: '${value}'.`, 16, 1),
  columnCount: () =>
    new SqlError(110, 'There are fewer columns in the INSERT statement than values specified in the VALUES clause. The number of values in the VALUES clause must match the number of columns specified in the INSERT statement.', 15, 1),
  divideByZero: () => new SqlError(8134, 'Divide by zero error encountered.', 16, 1),
  arithmeticOverflow: (type: string) => new SqlError(8115, `Arithmetic overflow error converting expression to data type ${type}.`, 16, 2),
  unknownFunction: (name: string) => new SqlError(195, `'${name}' is not a recognized built-in function name.`, 15, 10),
  unknownProcedure: (name: string) => new SqlError(2812, `Could not find stored procedure '${name}'.`, 16, 62),
  unsupported: (what: string) => new SqlError(40000, `Not supported by the simulator: ${what}`, 16, 1),
  loginFailed: (user: string) => new SqlError(18456, `Login failed for user '${user}'.`, 14, 1),
  cannotOpenDatabase: (db: string, user: string) =>
    new SqlError(4060, `Cannot open database "${db}" requested by the login. The login failed.`, 11, 1),
  databaseMissing: (db: string) => new SqlError(911, `Database '${db}' does not exist. Make sure that the name is entered correctly.`, 16, 1),
  ambiguousColumn: (name: string) => new SqlError(209, `Ambiguous column name '${name}'.`, 16, 1),
  aggregateInWhere: () =>
    new SqlError(147, 'An aggregate may not appear in the WHERE clause unless it is in a subquery contained in a HAVING clause or a select list, and the column being aggregated is an outer reference.', 15, 1),
  notInGroup: (col: string) =>
    new SqlError(8120, `Column '${col}' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.`, 16, 1),
};

/**
 * Errors that end only the failing statement: SQL Server (XACT_ABORT OFF, ANSI_WARNINGS ON as
 * drivers set it) goes on with the next statement of the batch. All others end the batch.
 */
export const statementTerminating = new Set([515, 544, 2601, 2627, 2628, 3902, 3903, 8102, 8115, 8134]);
