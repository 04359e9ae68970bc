// DuckDB as an independent Parquet writer and reader for ForgetPredict's conformance tests.
//   node duckdb.mjs write <file.parquet> <select-sql> <copy-options>   COPY (select) TO file, then print what DuckDB reads back
//                                                                     (@path instead of the SQL reads it from a file)
//   node duckdb.mjs read <file.parquet>                               print every column as DuckDB reads it
//   node duckdb.mjs meta <file.parquet>                               print parquet_metadata() rows (codecs, encodings, pages)
//   node duckdb.mjs time <file.parquet> <sql-with-FILE> [repeats]     print the best wall time (ms) of a query over the file
// Output is JSON on standard output (see json.mjs).
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { printColumns, encodeValue } from './json.mjs';

const [command, file, ...rest] = process.argv.slice(2);
const quote = (path) => `'${path.replaceAll("'", "''")}'`;

// One thread by default (deterministic and fair to a single-threaded reader); FP_DUCKDB_THREADS overrides it for timings.
const instance = await DuckDBInstance.create(':memory:', { threads: process.env.FP_DUCKDB_THREADS ?? '1' });
const connection = await instance.connect();

async function printFile(path) {
  const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet(${quote(path)})`);
  const names = reader.columnNames();
  const types = reader.columnTypes().map((t) => t.toString());
  const columns = reader.getColumns().map((column, i) => column.map((v) => (types[i] === 'BLOB' && v ? Buffer.from(v.bytes).toString('utf8') : v)));
  printColumns(names, types, columns);
}

switch (command) {
  case 'write': {
    const [selectArgument, options] = rest;
    const select = selectArgument.startsWith('@') ? readFileSync(selectArgument.slice(1), 'utf8') : selectArgument;
    await connection.run(`COPY (${select}) TO ${quote(file)} (FORMAT parquet${options ? ', ' + options : ''})`);
    await printFile(file);
    break;
  }
  case 'read':
    await printFile(file);
    break;
  case 'meta': {
    const reader = await connection.runAndReadAll(`SELECT * FROM parquet_metadata(${quote(file)})`);
    const rows = reader.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, encodeValue(v)])));
    process.stdout.write(JSON.stringify(rows));
    break;
  }
  case 'time': {
    const [sql, repeats] = rest;
    const query = sql.replaceAll('FILE', quote(file));
    let best = Infinity;
    let result;
    for (let i = 0; i < Number(repeats ?? 5); i++) {
      const start = process.hrtime.bigint();
      const reader = await connection.runAndReadAll(query);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      result = reader.getRows()[0];
      best = Math.min(best, ms);
    }
    process.stdout.write(JSON.stringify({ ms: best, result: result.map(encodeValue) }));
    break;
  }
  default:
    console.error('usage: node duckdb.mjs write|read|meta|time <file.parquet> ...');
    process.exit(2);
}
