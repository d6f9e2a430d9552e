// Corrupt and truncated chunks are refused with the C library's message; damage never hangs or crashes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decode, info, PymecompressError } from "../src/index.js";
import { file, manifest } from "./lib/cases.mjs";

const withData = manifest.fixtures.filter((f) => f.n > 0);

test("every truncation of every fixture is refused", async () => {
  for (const f of withData) {
    const stream = file(f.encoded);
    for (let len = 0; len < stream.length; len += Math.max(1, Math.floor(stream.length / 97))) {
      await assert.rejects(decode(stream.subarray(0, len)), PymecompressError, `${f.name} cut to ${len} bytes`);
    }
    await assert.rejects(decode(stream.subarray(0, stream.length - 1)), PymecompressError, f.name);
  }
});

test("a flipped bit in a checksummed stream is a checksum error", async () => {
  const sums = withData.filter((f) => f.config.checksum);
  assert.ok(sums.length >= 3);
  for (const f of sums) {
    const stream = file(f.encoded).slice();
    const { headerSize } = await info(stream);
    stream[headerSize + Math.floor((stream.length - headerSize) / 2)] ^= 4; // past the header, checked first
    await assert.rejects(decode(stream), (err) => {
      assert.ok(err instanceof PymecompressError);
      assert.match(err.message, /^cannot decode: checksum mismatch/);
      assert.equal(err.streamError, true, "a checksum mismatch is a stream error (pmc_is_stream_error)");
      return true;
    });
  }
});

test("header damage is named: magic, version, trailing bytes", async () => {
  const stream = file(withData.find((f) => f.config.id === "hufflossless").encoded);
  const bad = (i, v) => { const s = stream.slice(); s[i] = v; return s; };
  await assert.rejects(decode(bad(0, 0x51)), /not a pymecompress stream/);
  await assert.rejects(info(bad(4, 9)), /unsupported stream format version/);
  const longer = new Uint8Array(stream.length + 1);
  longer.set(stream);
  await assert.rejects(decode(longer), PymecompressError);
  await assert.rejects(decode(new Uint8Array(0)), PymecompressError);
});

test("a header announcing more values than its bytes hold is refused before allocating", async () => {
  const f = withData.find((x) => x.config.id === "hufflossless" && !x.config.checksum);
  const stream = file(f.encoded).slice();
  const dv = new DataView(stream.buffer);
  dv.setUint32(12, 0x40, true); // n += 2^38
  await assert.rejects(decode(stream), /stream is truncated|corrupt/);
});

test("random damage (bytes changed without a checksum) either decodes to the right size or is refused", async () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const f of withData.filter((x) => !x.config.checksum || x.config.id === "nbitpack")) {
    const stream = file(f.encoded);
    for (let k = 0; k < 300; k++) {
      const s = stream.slice();
      for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) s[Math.floor(rand() * s.length)] = Math.floor(rand() * 256);
      try {
        const { data } = await decode(s);
        assert.equal(data.length, f.n, `${f.name}: damaged stream decoded to another size`);
      } catch (err) {
        assert.ok(err instanceof PymecompressError, `${f.name}: ${err}`);
        assert.ok(err.streamError, `${f.name}: damage answered with a caller error: ${err}`);
      }
    }
  }
});

test("nbitpack framing errors are refused", async () => {
  const f = manifest.fixtures.find((x) => x.config.id === "nbitpack");
  const stream = file(f.encoded);
  await assert.rejects(decode(stream.subarray(0, 10)), /truncated/);
  await assert.rejects(decode(stream.subarray(0, stream.length - 1)), /payload holds/);
  const s = stream.slice();
  s[6] = 17;
  await assert.rejects(decode(s), /corrupt header/);
});
