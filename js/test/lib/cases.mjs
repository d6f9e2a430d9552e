// The test inputs written by tests/js_cases.py: read from $PYMECOMPRESS_JS_CASES, or written to a temporary
// folder by running that script with $PYTHON (default python3) when the variable is not set.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

function casesDir() {
  if (process.env.PYMECOMPRESS_JS_CASES) return process.env.PYMECOMPRESS_JS_CASES;
  const dir = mkdtempSync(join(tmpdir(), "pymecompress-js-"));
  const python = process.env.PYTHON || "python3";
  const run = spawnSync(python, [join(root, "tests", "js_cases.py"), dir], { stdio: "inherit" });
  if (run.status !== 0) throw new Error(`${python} tests/js_cases.py failed: set PYMECOMPRESS_JS_CASES or PYTHON`);
  process.env.PYMECOMPRESS_JS_CASES = dir;
  return dir;
}

export const dir = casesDir();
export const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));

/** Bytes of a file of the cases folder. */
export function file(rel) {
  const b = readFileSync(join(dir, rel));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Bytes of a typed array (a view on the same memory). */
export function bytesOf(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The C-order bytes of a zarrita result {data, shape, stride} (whatever its memory order). */
export function cOrderBytes({ data, shape, stride }) {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new data.constructor(n);
  const index = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += index[d] * stride[d];
    out[i] = data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return bytesOf(out);
}

/** Whether two byte arrays are equal (with the first difference for the message). */
export function sameBytes(a, b) {
  if (a.length !== b.length) return `lengths differ: ${a.length} != ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `first difference at byte ${i}: ${a[i]} != ${b[i]}`;
  return "";
}
