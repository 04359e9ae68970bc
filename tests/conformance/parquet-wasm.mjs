// parquet-wasm (the Rust parquet crate compiled to WebAssembly) as an independent writer and reader.
//   node parquet-wasm.mjs write <file.parquet> <spec.json>   write the table described by spec.json
//   node parquet-wasm.mjs read <file.parquet>                print every column as parquet-wasm reads it
// spec.json: {"columns": [{"name", "type": "double|float|int32|int64|bool|utf8", "values": [...]}],
//             "options": {"compression": "uncompressed|snappy|gzip|zstd|lz4|brotli", "version": 1|2,
//                         "dictionary": true|false, "rowGroupSize": n, "dataPageSize": n, "encoding": "PLAIN|..."}}
// Values follow json.mjs: numbers, "NaN"/"Infinity"/"-Infinity", 64-bit integers as strings, null for null.
import { readFileSync, writeFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { createRequire } from 'node:module';
import * as pq from 'parquet-wasm/esm';

// The package's node build is CommonJS inside a "type": "module" package, which node refuses to load; the ESM
// build works once it is handed the WebAssembly module bytes.
pq.initSync({ module: readFileSync(createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')) });
import { printColumns, decodeNumber } from './json.mjs';

const [command, file, specPath] = process.argv.slice(2);

const arrowTypes = {
  double: () => new arrow.Float64(),
  float: () => new arrow.Float32(),
  int32: () => new arrow.Int32(),
  int64: () => new arrow.Int64(),
  bool: () => new arrow.Bool(),
  utf8: () => new arrow.Utf8(),
};

function toArrowValue(type, value) {
  if (value === null) return null;
  switch (type) {
    case 'int64': return BigInt(value);
    case 'bool': case 'utf8': return value;
    default: return decodeNumber(value);
  }
}

switch (command) {
  case 'write': {
    const spec = JSON.parse(readFileSync(specPath, 'utf8'));
    const vectors = {};
    for (const column of spec.columns) {
      vectors[column.name] = arrow.vectorFromArray(column.values.map((v) => toArrowValue(column.type, v)), arrowTypes[column.type]());
    }
    const table = new arrow.Table(vectors);
    const wasmTable = pq.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
    const options = spec.options ?? {};
    let builder = new pq.WriterPropertiesBuilder()
      .setCompression(pq.Compression[(options.compression ?? 'snappy').toUpperCase()])
      .setWriterVersion(options.version === 2 ? pq.WriterVersion.V2 : pq.WriterVersion.V1)
      .setDictionaryEnabled(options.dictionary ?? true);
    if (options.rowGroupSize) builder = builder.setMaxRowGroupSize(options.rowGroupSize);
    if (options.dataPageSize) builder = builder.setDataPageSizeLimit(options.dataPageSize);
    if (options.encoding) builder = builder.setEncoding(pq.Encoding[options.encoding]);
    writeFileSync(file, pq.writeParquet(wasmTable, builder.build()));
    break;
  }
  case 'read': {
    const table = arrow.tableFromIPC(pq.readParquet(readFileSync(file)).intoIPCStream());
    const names = table.schema.fields.map((f) => f.name);
    const types = table.schema.fields.map((f) => String(f.type));
    const columns = names.map((_, i) => Array.from(table.getChildAt(i)));
    printColumns(names, types, columns);
    break;
  }
  default:
    console.error('usage: node parquet-wasm.mjs write|read <file.parquet> [spec.json]');
    process.exit(2);
}
