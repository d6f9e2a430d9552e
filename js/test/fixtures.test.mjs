// Every committed format fixture decodes byte-identically in WebAssembly, and the wasm encoder writes the same
// bytes as the native one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cStrides } from "../src/codecs.js";
import { CODECS, decode, info } from "../src/index.js";
import { bytesOf, file, manifest, sameBytes } from "./lib/cases.mjs";

const TYPED = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array };

test("the export holds every fixture", () => {
  assert.ok(manifest.fixtures.length >= 17, `only ${manifest.fixtures.length} fixtures`);
  for (const id of ["huffquant16", "hufflossless", "nbitpack", "vstquant16"]) {
    assert.ok(manifest.fixtures.some((f) => f.config.id === id), id);
  }
});

for (const f of manifest.fixtures.filter((f) => f.config.id === "vstquant16")) {
  // a filter: its chunk is the codes (little-endian uint16) of an array of input_shape, not a stream
  test(`fixture ${f.name} (vstquant16 filter) decodes and encodes byte-identically`, async () => {
    const { id, ...config } = f.config;
    const codec = CODECS[id].fromConfig(config, { dataType: "uint16", shape: f.input_shape, codecs: [] });
    const codes = new Uint16Array(file(f.encoded).slice().buffer);
    const decoded = await codec.decode({ data: codes, shape: f.input_shape, stride: cStrides(f.input_shape) });
    assert.equal(sameBytes(bytesOf(decoded.data), file(f.decoded)), "");
    const input = new Uint16Array(file(f.input).slice().buffer);
    const encoded = await codec.encode({ data: input, shape: f.input_shape, stride: cStrides(f.input_shape) });
    assert.equal(sameBytes(bytesOf(encoded.data), file(f.encoded)), "");
  });
}

for (const f of manifest.fixtures.filter((f) => f.config.id !== "vstquant16")) {
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
