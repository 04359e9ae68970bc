// polars (nodejs-polars, the polars Rust engine) as an independent writer and reader, as a polars user's pipeline.
//   node polars.mjs write <file> <spec.json>   write the table described by spec.json (.parquet or .csv by the file's name)
//   node polars.mjs read <file>                print every column as polars reads it (.parquet, .csv or .json)
// spec.json: {"columns": [{"name", "type": "double|float|int32|int64|bool|utf8|categorical", "values": [...]}],
//             "options": {"compression": "uncompressed|snappy|gzip|lz4|zstd|brotli", "rowIndex": true|false}}
// Values follow json.mjs: numbers, "NaN"/"Infinity"/"-Infinity", 64-bit integers as strings, null for null.
// 64-bit integers pass through polars as text and are cast there: a JavaScript number cannot hold them all.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { printColumns, decodeNumber } from './json.mjs';

const pl = createRequire(import.meta.url)('nodejs-polars');
const [command, file, specPath] = process.argv.slice(2);

function series(column) {
  const { name, type, values } = column;
  switch (type) {
    case 'double': return pl.Series(name, values.map(decodeNumber), pl.Float64);
    case 'float': return pl.Series(name, values.map(decodeNumber), pl.Float32);
    case 'int32': return pl.Series(name, values, pl.Int32);
    case 'int64': return pl.Series(name, values.map((v) => (v === null ? null : String(v))), pl.Utf8).cast(pl.Int64);
    case 'bool': return pl.Series(name, values, pl.Bool);
    case 'utf8': return pl.Series(name, values, pl.Utf8);
    case 'categorical': return pl.Series(name, values, pl.Utf8).cast(pl.Categorical);
    default: throw new Error(`unknown column type ${type}`);
  }
}

// Polars' dtype names, spelled as the C# comparison expects (Arrow's: Float32, Float64, Int64, Utf8...).
function typeName(dtype) {
  const name = String(dtype).replace(/^DataType\((.*)\)$/, '$1');
  return { String: 'Utf8', Categorical: 'Utf8', Boolean: 'Bool' }[name] ?? name;
}

function values(s) {
  const name = typeName(s.dtype);
  if (name === 'Int64' || name === 'UInt64') return s.cast(pl.Utf8).toArray();
  if (name === 'Utf8') return s.cast(pl.Utf8).toArray();
  return s.toArray();
}

switch (command) {
  case 'write': {
    const spec = JSON.parse(readFileSync(specPath, 'utf8'));
    let frame = pl.DataFrame(spec.columns.map(series));
    if (spec.options?.rowIndex) {
      frame = frame.withRowIndex('index');   // polars' row numbers 0, 1, 2... as a first UInt32 column 'index'
    }
    if (file.endsWith('.csv')) {
      frame.writeCSV(file);
    } else {
      frame.writeParquet(file, { compression: spec.options?.compression ?? 'zstd' });
    }
    break;
  }
  case 'read': {
    const frame = file.endsWith('.csv') ? pl.readCSV(file)
      : file.endsWith('.json') ? pl.readJSON(file, { format: 'json' })
      : pl.readParquet(file);
    const columns = frame.getColumns();
    printColumns(columns.map((c) => c.name), columns.map((c) => typeName(c.dtype)), columns.map(values));
    break;
  }
  default:
    console.error('usage: node polars.mjs write|read <file> [spec.json]');
    process.exit(2);
}
