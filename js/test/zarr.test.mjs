// Arrays written by zarr-python with the pymecompress codecs read through zarrita.js with identical bytes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import FileSystemStore from "@zarrita/storage/fs";
import * as zarr from "zarrita";
import { CODECS, register } from "../src/index.js";
import { cOrderBytes, dir, file, manifest, sameBytes } from "./lib/cases.mjs";

register(zarr.registry);

function openArray(rel) {
  return zarr.open(zarr.root(new FileSystemStore(join(dir, rel))), { kind: "array" });
}

/** The messages of an error and of its causes (zarrita wraps codec errors). */
function messages(err) {
  const out = [];
  for (let e = err; e; e = e.cause) out.push(String(e.message));
  return out.join(" <- ");
}

test("the export covers every codec, both zarr formats, sharding, F order and uint8", () => {
  const names = manifest.arrays.map((a) => a.name).join(" ");
  for (const part of ["huffquant16", "huffquant8", "hufflossless_u8", "hufflossless_u16", "vstquant16", "nbitpack_u8",
    "nbitpack_u16", "v2_F_", "v3_F_", "v3_sharded_", "v2_C_"]) {
    assert.ok(names.includes(part), part);
  }
});

test("the export holds the committed zarr v3 store (tests/fixtures/zarr_v3) of every codec", () => {
  for (const id of Object.keys(CODECS)) {
    assert.ok(manifest.arrays.some((a) => a.name === `committed_${id}`), id);
  }
});

for (const a of manifest.arrays) {
  test(`${a.name}: zarrita reads what zarr-python reads`, async () => {
    const arr = await openArray(a.path);
    assert.deepEqual(arr.shape, a.shape);
    const all = await zarr.get(arr);
    assert.equal(sameBytes(cOrderBytes(all), file(a.raw)), "");
    const region = await zarr.get(arr, a.region.map(([start, stop]) => zarr.slice(start, stop)));
    assert.equal(sameBytes(cOrderBytes(region), file(a.region_raw)), "");
  });
}

test("an OME-Zarr written by pymecompress convert --ome reads level by level", async () => {
  const group = await zarr.open(zarr.root(new FileSystemStore(join(dir, manifest.ome.path))), { kind: "group" });
  const attrs = group.attrs.ome ?? group.attrs;
  const datasets = attrs.multiscales[0].datasets;
  assert.equal(datasets.length, manifest.ome.levels.length);
  assert.ok(datasets.length >= 2, "a pyramid");
  for (const level of manifest.ome.levels) {
    const arr = await zarr.open(group.resolve(level.path), { kind: "array" });
    assert.deepEqual(arr.shape, level.shape);
    assert.equal(sameBytes(cOrderBytes(await zarr.get(arr)), file(level.raw)), "", level.path);
  }
});

for (const c of manifest.corrupt) {
  test(`${c.name}: a damaged chunk is refused with the C decoder's message`, async () => {
    const arr = await openArray(c.path);
    const chunk = arr.chunks.map(() => null);
    await assert.rejects(arr.getChunk(c.chunk), (err) => {
      assert.ok(messages(err).includes(c.error), `${messages(err)} does not name "${c.error}"`);
      return true;
    });
    await assert.rejects(zarr.get(arr, chunk));
  });
}
