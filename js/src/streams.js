// Stream-level API: decode or inspect one encoded chunk (PMCS or PMCN), for callers that fetch chunks themselves.
import { loadCore, PymecompressError } from "./wasm.js";

const PMCS = 0x53434d50; // "PMCS" read as a little-endian u32
const PMCN = 0x4e434d50; // "PMCN"
const NBIT_HEADER = 16;
const MAX_BYTES = 2 ** 31; // decoded chunks larger than this do not fit a wasm32 memory beside their input

function u8(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError("expected a Uint8Array, another typed array or an ArrayBuffer");
}

function magic(bytes) {
  return bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : -1;
}

/**
 * Parse and validate the 16-byte header of an n-bit packed stream (docs/FORMAT.md, "n-bit packed stream").
 * @param {Uint8Array} bytes
 * @returns {{format: "PMCN", codec: "nbitpack", n: number, itemsize: number, nbits: number}}
 */
export function nbitInfo(bytes) {
  if (bytes.length < NBIT_HEADER) {
    throw new PymecompressError(`nbitpack: stream is truncated (${bytes.length} bytes, header needs 16)`, undefined,
      true);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== PMCN) {
    throw new PymecompressError("nbitpack: not an n-bit packed stream (bad magic bytes)", undefined, true);
  }
  const version = bytes[4];
  const itemsize = bytes[5];
  const nbits = bytes[6];
  const flags = bytes[7];
  if (version !== 1) {
    throw new PymecompressError(`nbitpack: unsupported stream format version ${version}`, undefined, true);
  }
  if ((itemsize !== 1 && itemsize !== 2) || nbits < 1 || nbits > 8 * itemsize || flags !== 0) {
    throw new PymecompressError(`nbitpack: corrupt header (itemsize=${itemsize}, nbits=${nbits})`, undefined, true);
  }
  const n = dv.getUint32(8, true) + dv.getUint32(12, true) * 2 ** 32;
  const need = Math.floor(n / 8) * nbits + Math.ceil(((n % 8) * nbits) / 8);
  const payload = bytes.length - NBIT_HEADER;
  if (payload !== need) {
    throw new PymecompressError(`nbitpack: payload holds ${payload} bytes, header announces ${need}`, undefined, true);
  }
  return { format: "PMCN", codec: "nbitpack", n, itemsize, nbits };
}

function pmcsInfo(raw) {
  const quantized = raw.mode === 1;
  return {
    format: "PMCS", codec: !quantized ? "hufflossless" : raw.itemsize === 1 ? "huffquant8" : "huffquant16",
    n: raw.n, nx: raw.nx, ny: raw.ny, itemsize: raw.itemsize, mode: raw.mode,
    tileWidth: raw.tw, tileHeight: raw.th, segment: raw.seg, checksum: (raw.flags & 1) === 1,
    headerSize: raw.headerSize,
    camera: quantized
      ? { offset: raw.params[0], gain: raw.params[1], read_noise: raw.params[2], step: raw.params[3] }
      : null,
  };
}

/**
 * Refuse, before allocating its output, a PMCS header that announces more values than its bytes can hold
 * (every segment takes at least 7 bytes: docs/FORMAT.md, "Allocation") or than wasm32 memory can take.
 */
export function checkPlausible(raw, length) {
  const segments = Math.ceil(raw.n / raw.seg);
  if (segments * 7 > length - raw.headerSize) {
    throw new PymecompressError(`cannot decode: input ends before the data it announces (${raw.n} values in ` +
      `${length} bytes)`, undefined, true);
  }
  if (raw.n * raw.itemsize > MAX_BYTES) {
    throw new PymecompressError(`cannot decode: ${raw.n} values are too large for WebAssembly memory`);
  }
}

/**
 * Header of an encoded chunk: a PMCS stream (huffquant16, hufflossless) or a PMCN stream (nbitpack).
 * @param {Uint8Array | ArrayBuffer | ArrayBufferView} data
 * @returns {Promise<object>} format, codec, n, itemsize, and for PMCS nx, ny, mode, checksum, camera, ...
 */
export async function info(data) {
  const bytes = u8(data);
  if (magic(bytes) === PMCN) return nbitInfo(bytes);
  const core = await loadCore();
  return pmcsInfo(core.streamInfo(bytes));
}

/**
 * Decode one encoded chunk (PMCS or PMCN stream) to its values, in the chunk's memory order.
 * @param {Uint8Array | ArrayBuffer | ArrayBufferView} data
 * @returns {Promise<{data: Uint8Array | Uint16Array, info: object}>}
 */
export async function decode(data) {
  const bytes = u8(data);
  const core = await loadCore();
  if (magic(bytes) === PMCN) {
    const header = nbitInfo(bytes);
    const values = core.nbitUnpack(bytes.subarray(NBIT_HEADER), header.nbits, header.n, header.itemsize);
    return { data: values, info: header };
  }
  const { info: raw, bytes: out } = core.decode(bytes, (h) => checkPlausible(h, bytes.length));
  return { data: raw.itemsize === 2 ? new Uint16Array(out.buffer) : out, info: pmcsInfo(raw) };
}

export { u8 as asBytes, NBIT_HEADER, pmcsInfo };
