// Shared JSON encoding for conformance scripts: exact numbers, and the values JSON cannot hold spelled as strings.
// Finite numbers use JavaScript's shortest round-trip form; NaN, Infinity and -Infinity become those strings;
// 64-bit integers (BigInt) become decimal strings; null stays null.
export function encodeValue(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

// Prints {"names": [...], "types": [...], "columns": [[...], ...]} on standard output.
export function printColumns(names, types, columns) {
  const out = { names, types, columns: columns.map((c) => Array.from(c, encodeValue)) };
  process.stdout.write(JSON.stringify(out));
}

// Reads a JSON-encoded value back (the inverse of encodeValue for numbers).
export function decodeNumber(value) {
  if (value === null) return null;
  if (typeof value === 'string') return Number(value);
  return value;
}
