// Every committed format fixture decodes byte-identically in WebAssembly, and the wasm encoder writes the same
// bytes as the native one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CODECS, decode, info } from "../src/index.js";
import { bytesOf, file, manifest, sameBytes } from "./lib/cases.mjs";

const TYPED = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array };

test("the export holds every fixture", () => {
  assert.ok(manifest.fixtures.length >= 17, `only ${manifest.fixtures.length} fixtures`);
  for (const id of ["huffquant16", "hufflossless", "nbitpack"]) {
    assert.ok(manifest.fixtures.some((f) => f.config.id === id), id);
  }
});

for (const f of manifest.fixtures) {
  test(`fixture ${f.name} decodes byte-identically`, async () => {
    const { data, info: header } = await decode(file(f.encoded));
    assert.equal(sameBytes(bytesOf(data), file(f.decoded)), "");
    assert.equal(data.BYTES_PER_ELEMENT, TYPED[f.dtype].BYTES_PER_ELEMENT);
    assert.equal(header.n, f.n);
    if (f.info) {
      const h = await info(file(f.encoded));
      for (const key of ["n", "nx", "ny", "mode", "itemsize"]) assert.equal(h[key], f.info[key], key);
      assert.equal(h.codec, f.config.id);
    }
  });

  if (f.current_encoder) {
    test(`fixture ${f.name}: the wasm encoder writes the committed bytes`, async () => {
      const { id, ...config } = f.config;
      const meta = { dataType: f.input_dtype, shape: f.input_shape, codecs: [] };
      const codec = CODECS[id].fromConfig(config, meta);
      const input = file(f.input);
      const encoded = id === "nbitpack"
        ? await codec.encode({ data: new TYPED[f.input_dtype](input.slice().buffer), shape: f.input_shape })
        : await codec.encode(input);
      assert.equal(sameBytes(encoded, file(f.encoded)), "");
    });
  }
}
