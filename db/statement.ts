import { getTableColumns, type Table } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/pg-core";
import type { DbOrTx } from "./client.ts";

/**
 * Fixed-text statements for the hot paths (ingest, outbox writes).
 *
 * Why: drizzle sends every query it builds as an unnamed statement, and postgres.js sends an
 * unnamed statement that has parameters in two round trips (Parse/Describe, then
 * Bind/Execute) and never pipelines it. A statement whose text never changes (lists are
 * passed as one array parameter, `= any($1)` or `unnest($1, $2, …)`) is prepared instead:
 * postgres.js keeps it per connection by its text, so from the second use on it is one
 * round trip, the server skips parsing and planning, several such statements sent together
 * (`Promise.all`) share one round trip, and nothing is built per call. On PGlite the same
 * text runs through its extended protocol in process. See docs/performance.md (Ingest).
 *
 * The text is written by hand: keep it in step with db/schema, which the tests exercise on
 * both databases.
 */
export interface Statement<Row> {
  /** The statement's name (for the reader and query logs; postgres.js names it itself). */
  readonly name: string;
  /** The SQL text with `$1…` parameters. */
  readonly text: string;
  /**
   * Runs the statement on `tx` (a transaction, or the database) with `params` in order.
   * The statement reaches the driver's queue after the same fixed number of microtask hops
   * for every statement, so statements `run` one after another in one synchronous stretch
   * (`pipeline([a.run(…), b.run(…)])`) are sent, and run, in that order.
   * Arrays are sent as Postgres arrays; cast each in the text (`$1::text[]`). Resolves to
   * the decoded rows; rejects with the driver's error.
   */
  run(tx: DbOrTx, params: readonly unknown[]): Promise<Row[]>;
}

/** Rows as the driver returns them: column names as keys, values not yet mapped. */
export type RawRow = Record<string, unknown>;

/**
 * Declares a fixed-text statement whose rows `decode` maps (use {@link rowCodec} for whole
 * table rows; `(r) => r` for none).
 */
export function statement<Row = RawRow>(
  name: string,
  text: string,
  decode: (raw: RawRow) => Row = (raw) => raw as Row,
): Statement<Row> {
  return {
    name,
    text,
    async run(tx, params) {
      // `_.session` is drizzle's session of the database or of the transaction; a named
      // prepared query is what makes postgres.js prepare it (drizzle-orm postgres-js session).
      const query = tx._.session.prepareQuery<{
        execute: RawRow[] | { rows: RawRow[] };
        all: unknown;
        values: unknown;
      }>({ sql: text, params: [...params] }, undefined, name, false);
      const result = await query.execute();
      // postgres.js resolves to the rows, PGlite to `{ rows }`.
      const rows = Array.isArray(result) ? result : result.rows;
      return rows.map(decode);
    },
  };
}

/**
 * A decoder from a raw row of `table` (snake_case column names, timestamps as text) to its
 * drizzle row type (property names, `Date`s, parsed JSON), with drizzle's own column mappers:
 * the same values a `select()` of the table gives. Statements using it must select every
 * column of the table ({@link columnList}).
 */
export function rowCodec<T extends Table>(table: T): (raw: RawRow) => T["$inferSelect"] {
  const columns = Object.entries(getTableColumns(table)).map(
    ([key, column]) => [key, column.name, column] as const,
  );
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const [key, name, column] of columns) {
      const value = raw[name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as T["$inferSelect"];
  };
}

/** Every column of `table`, quoted and comma-separated, for `select … from` texts. */
export function columnList(table: Table): string {
  return Object.values(getTableColumns(table))
    .map((c) => `"${c.name}"`)
    .join(", ");
}

/** Property name and column name of every column, per table (built once: hot path). */
const names = new WeakMap<Table, (readonly [string, string])[]>();
function columnNames(table: Table): (readonly [string, string])[] {
  let known = names.get(table);
  if (!known) {
    known = Object.entries(getTableColumns(table)).map(([key, c]) => [key, c.name] as const);
    names.set(table, known);
  }
  return known;
}

/**
 * Rows of `table` as one JSON parameter for `json_populate_recordset` (inserts) or
 * `json_to_recordset` (bulk updates): keyed by column name, `Date`s as ISO 8601 text, JSON
 * columns as JSON. One parameter whatever the row count, so the statement's text is fixed.
 * Only the keys present in each row are written; pass complete rows to inserts, since a
 * missing key inserts null, not the column's default.
 */
export function jsonRows<T extends Table>(table: T, rows: readonly Partial<T["$inferSelect"]>[]) {
  const columns = columnNames(table);
  return JSON.stringify(
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      const r = row as Record<string, unknown>;
      for (const [key, name] of columns) {
        if (key in r) out[name] = r[key] instanceof Date ? (r[key] as Date).toISOString() : r[key];
      }
      return out;
    }),
  );
}

/**
 * `insert into <table> (<columns>) select <columns> from
 * json_populate_recordset(null::<table>, $1::json) <suffix>`: rows of `table` in one
 * fixed-text statement (rows from {@link jsonRows}). `columns` (property names) defaults to
 * every column; columns left out take their defaults. `suffix` follows (`on conflict …`).
 */
export function insertRowsText(
  table: Table,
  opts: { columns?: readonly string[]; suffix?: string } = {},
): string {
  const name = getTableConfig(table).name;
  const all = getTableColumns(table);
  const cols = (opts.columns ?? Object.keys(all))
    .map((key) => {
      const column = all[key];
      if (!column) throw new Error(`${name} has no column ${key}`);
      return `"${column.name}"`;
    })
    .join(", ");
  const suffix = opts.suffix ? ` ${opts.suffix}` : "";
  return `insert into "${name}" (${cols}) select ${cols} from json_populate_recordset(null::"${name}", $1::json)${suffix}`;
}
