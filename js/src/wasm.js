// The only module that calls C functions of the WebAssembly build of the pymecompress C core.
//
// It instantiates the module (lazily, once), manages its memory (reusable input and output areas that grow as
// needed, so decoding a chunk does not allocate per chunk, and a small cache of quantizer tables) and wraps each
// C function in a thin call. When the C API changes, this is the file to adapt (with C_FUNCTIONS, which the
// wasm build script reads to decide what the module exports).

/** C functions the wasm module exports (besides malloc and free); read by scripts/build-wasm.mjs. */
export const C_FUNCTIONS = [
  "pmc_strerror", "pmc_stream_info", "pmc_encode_bound", "pmc_encode", "pmc_encode_scratch_size",
  "pmc_quant_size", "pmc_quant_init", "pmc_quant_ncodes", "pmc_quantize", "pmc_dequantize", "pmc_nbit_size",
  "pmc_nbit_pack", "pmc_nbit_unpack", "pmc_dquant_size", "pmc_dquant_init", "pmc_dquantize", "pmc_ddequantize",
  "pmc_dctx_create", "pmc_dctx_decode", "pmc_is_stream_error", "pmc_version_string",
];

const SIMD_PORTABLE = 1; // PMC_SIMD_PORTABLE: wasm has no AVX2 path anyway
const MODE_QUANT = 1;
const TABLE_CACHE = 4; // prepared quantizers for encoding (pmc_quant, 640 KiB each; pmc_dquant, 256 KiB and up)

// pmc_info (include/pymecompress.h) as laid out by clang for wasm32 (size_t is 4 bytes):
// u64 n @0; u32 nx @8, ny @12, tw @16, th @20, seg @24; int mode @28, itemsize @32; unsigned flags @36;
// double params[4] @40; size_t header_size @72; int version @76; u32 saturation @80; sizeof 88.
const INFO_SIZE = 88;
const SMALL_SIZE = 16; // size_t written of pmc_encode

/** An error reported by the C core (the message is the C library's, e.g. "CRC-32C mismatch"). */
export class PymecompressError extends Error {
  /**
   * @param {string} message
   * @param {number} [code] the C status code (negative PMC_E_* value)
   * @param {boolean} [streamError] whether the input is not a valid stream (pmc_is_stream_error), as opposed to
   *   a caller error or a resource limit
   */
  constructor(message, code, streamError = false) {
    super(message);
    this.name = "PymecompressError";
    this.code = code;
    this.streamError = streamError;
  }
}

/** @type {string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module | undefined} */
let wasmSource;
/** @type {Promise<Core> | undefined} */
let corePromise;

/**
 * Tell where the .wasm file is (a URL or path), or hand over its bytes or a compiled WebAssembly.Module.
 * Optional: by default it is read from `../dist/pymecompress.wasm` next to this module. Must be called before
 * the first decode.
 * @param {string | URL | ArrayBuffer | Uint8Array | WebAssembly.Module} source
 */
export function setWasmSource(source) {
  if (corePromise) throw new Error("pymecompress: the wasm module is already loaded");
  wasmSource = source;
}

async function wasmModule() {
  let source = wasmSource ?? new URL("../dist/pymecompress.wasm", import.meta.url);
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  const url = new URL(String(source), typeof location === "undefined" ? import.meta.url : location.href);
  if (url.protocol === "file:") {
    const fs = await import(/* webpackIgnore: true */ "node:fs/promises");
    return WebAssembly.compile(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`pymecompress: cannot fetch ${url}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * The instantiated C core (loaded on first use, then shared).
 * @returns {Promise<Core>}
 */
export function loadCore() {
  if (!corePromise) {
    corePromise = wasmModule()
      .then((module) => WebAssembly.instantiate(module, {}))
      .then((instance) => new Core(instance));
    corePromise.catch(() => { corePromise = undefined; });
  }
  return corePromise;
}

/** A Uint8Array view of the bytes of a typed array or buffer. */
function bytesOf(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Synchronous thin calls into the C core; every method copies its result out of wasm memory. */
export class Core {
  /** @param {WebAssembly.Instance} instance */
  constructor(instance) {
    this.c = instance.exports;
    if (typeof this.c._initialize === "function") this.c._initialize();
    // reusable areas: the input stream, the output, and the encoder's scratch memory (decoding keeps its own
    // in the decoding context)
    this.areas = { in: { ptr: 0, cap: 0 }, out: { ptr: 0, cap: 0 }, scratch: { ptr: 0, cap: 0 } };
    this.info = this.malloc(INFO_SIZE);
    this.small = this.malloc(SMALL_SIZE);
    /** @type {Map<string, {q: number, ncodes: number}>} */
    this.tables = new Map();
    // the decoding context (pmc_dctx): decodes any stream with one call, keeping the quantizers its headers name
    this.dctx = this.c.pmc_dctx_create() >>> 0;
    if (!this.dctx) throw new RangeError("pymecompress: out of WebAssembly memory (decoding context)");
  }

  /** The C library's version, "MAJOR.MINOR.PATCH". */
  version() { return this.string(this.c.pmc_version_string()); }

  malloc(bytes) {
    const ptr = this.c.malloc(Math.max(bytes, 1)) >>> 0; // size_t and pointers are unsigned
    if (!ptr) throw new RangeError(`pymecompress: out of WebAssembly memory (${bytes} bytes requested)`);
    return ptr;
  }

  /** Pointer to the reusable area `name` with room for `bytes` (grown, never shrunk). */
  area(name, bytes) {
    const a = this.areas[name];
    if (a.cap < bytes) {
      if (a.ptr) this.c.free(a.ptr);
      a.ptr = 0;
      a.cap = 0;
      const cap = Math.max(bytes, 65536, Math.ceil(bytes * 1.25));
      a.ptr = this.malloc(cap);
      a.cap = cap;
    }
    return a.ptr;
  }

  get u8() { return new Uint8Array(this.c.memory.buffer); }
  get dv() { return new DataView(this.c.memory.buffer); }

  /** The NUL-terminated C string at `ptr`. */
  string(ptr) {
    const u8 = this.u8;
    let end = ptr;
    while (u8[end]) end++;
    return new TextDecoder().decode(u8.subarray(ptr, end));
  }

  message(rc) { return this.string(this.c.pmc_strerror(rc)); }

  check(rc, what) {
    if (rc !== 0) throw new PymecompressError(`${what}: ${this.message(rc)}`, rc, !!this.c.pmc_is_stream_error(rc));
  }

  /** Copy `data` into the input area; returns [pointer, byte length]. */
  input(data) {
    const bytes = bytesOf(data);
    const ptr = this.area("in", bytes.length);
    this.u8.set(bytes, ptr);
    return [ptr, bytes.length];
  }

  /** A fresh copy of `bytes` bytes of the output area. */
  output(bytes) {
    const ptr = this.areas.out.ptr;
    return this.u8.slice(ptr, ptr + bytes);
  }

  readInfo() {
    const dv = this.dv;
    const p = this.info;
    return {
      n: dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 2 ** 32,
      nx: dv.getUint32(p + 8, true), ny: dv.getUint32(p + 12, true),
      tw: dv.getUint32(p + 16, true), th: dv.getUint32(p + 20, true), seg: dv.getUint32(p + 24, true),
      mode: dv.getInt32(p + 28, true), itemsize: dv.getInt32(p + 32, true), flags: dv.getUint32(p + 36, true),
      params: [0, 1, 2, 3].map((i) => dv.getFloat64(p + 40 + 8 * i, true)),
      headerSize: dv.getUint32(p + 72, true),
      version: dv.getInt32(p + 76, true),
      saturation: dv.getInt32(p + 76, true) === 2 ? dv.getUint32(p + 80, true) : null,
    };
  }

  /**
   * Parse and validate a PMCS header (pmc_stream_info).
   * @param {ArrayBufferView | ArrayBuffer} stream
   */
  streamInfo(stream) {
    const [ptr, len] = this.input(stream);
    this.check(this.c.pmc_stream_info(ptr, len, this.info), "cannot decode");
    return this.readInfo();
  }

  /**
   * The prepared quantizer (pmc_quant) of (offset, gain, read_noise, step), cached.
   * @param {number[]} params
   */
  quantTables(params) {
    return this.cachedTables(params.join(","), () => {
      const q = this.malloc(this.c.pmc_quant_size() >>> 0);
      const rc = this.c.pmc_quant_init(q, params[0], params[1], params[2], params[3]);
      if (rc !== 0) {
        this.c.free(q);
        this.check(rc, "invalid quantizer parameters");
      }
      return { q, ncodes: this.c.pmc_quant_ncodes(q) >>> 0 };
    });
  }

  /**
   * The entry `key` of the cache of prepared quantizers (most recently used last; the oldest freed when it is
   * full), made by `build` (which returns `{q, ...}`, q a malloc'd pointer) when missing.
   */
  cachedTables(key, build) {
    let t = this.tables.get(key);
    if (t) {
      this.tables.delete(key);
      this.tables.set(key, t);
      return t;
    }
    if (this.tables.size >= TABLE_CACHE) {
      const [oldKey, old] = this.tables.entries().next().value;
      this.c.free(old.q);
      this.tables.delete(oldKey);
    }
    t = build();
    this.tables.set(key, t);
    return t;
  }

  /**
   * The prepared dithered quantizer (pmc_dquant, version 2 streams) of (offset, gain, read_noise, step) and a
   * saturation value, cached with the others.
   * @param {number[]} params
   * @param {number} saturation
   */
  ditherTables(params, saturation) {
    return this.cachedTables(`dither:${params.join(",")}:${saturation}`, () => {
      const size = this.c.pmc_dquant_size(params[0], params[1], params[2], params[3], saturation) >>> 0;
      if (!size) this.check(-6, "invalid quantizer parameters"); // PMC_E_PARAM
      const q = this.malloc(size);
      const rc = this.c.pmc_dquant_init(q, size, params[0], params[1], params[2], params[3], saturation);
      if (rc !== 0) {
        this.c.free(q);
        this.check(rc, "invalid quantizer parameters");
      }
      return { q };
    });
  }

  /**
   * Header and decoded bytes (a fresh Uint8Array of n * itemsize bytes) of a PMCS stream (pmc_dctx_decode).
   * @param {ArrayBufferView | ArrayBuffer} stream
   * @param {(info: object) => void} [validate] called with the header before the output is allocated
   */
  decode(stream, validate) {
    const [ptr, len] = this.input(stream);
    this.check(this.c.pmc_stream_info(ptr, len, this.info), "cannot decode");
    const info = this.readInfo();
    if (validate) validate(info);
    const nbytes = info.n * info.itemsize;
    const out = this.area("out", nbytes);
    this.check(this.c.pmc_dctx_decode(this.dctx, ptr, len, out, nbytes, SIMD_PORTABLE), "cannot decode");
    return { info, bytes: this.output(nbytes) };
  }

  /**
   * Dequantize uint16 codes (pmc_dequantize, element phase from the index in `codes`; pmc_ddequantize when
   * `saturation` is given: the dithered quantizer, whose codes are a whole chunk's).
   * @param {Uint16Array} codes
   * @param {number[]} params offset, gain, read_noise, step
   * @param {number | null} saturation
   * @returns {Uint16Array}
   */
  dequantize(codes, params, saturation = null) {
    const dithered = saturation != null;
    const tables = dithered ? this.ditherTables(params, saturation) : this.quantTables(params);
    const [ptr] = this.input(codes);
    const out = this.area("out", codes.byteLength);
    const rc = dithered ? this.c.pmc_ddequantize(tables.q, ptr, codes.length, out)
      : this.c.pmc_dequantize(tables.q, ptr, codes.length, 0, out);
    if (rc !== 0) {
      throw new PymecompressError(dithered ? "code out of range: with its dither phase it names no bin of these "
        + "parameters" : `code out of range: these parameters define codes 0..${tables.ncodes - 1}`, rc);
    }
    return new Uint16Array(this.output(codes.byteLength).buffer);
  }

  /**
   * Quantize uint16 values to codes (pmc_quantize; pmc_dquantize, a whole chunk, when `saturation` is given).
   * @param {Uint16Array} values
   * @param {number[]} params
   * @param {number | null} saturation
   * @returns {Uint16Array}
   */
  quantize(values, params, saturation = null) {
    const dithered = saturation != null;
    const { q } = dithered ? this.ditherTables(params, saturation) : this.quantTables(params);
    const [ptr] = this.input(values);
    const out = this.area("out", values.byteLength);
    (dithered ? this.c.pmc_dquantize : this.c.pmc_quantize)(q, ptr, values.length, out);
    return new Uint16Array(this.output(values.byteLength).buffer);
  }

  /**
   * Unpack n values of nbits bits (pmc_nbit_unpack).
   * @returns {Uint8Array | Uint16Array}
   */
  nbitUnpack(payload, nbits, n, itemsize) {
    const [ptr, len] = this.input(payload);
    const out = this.area("out", n * itemsize);
    this.check(this.c.pmc_nbit_unpack(ptr, len, nbits, out, n, itemsize), "nbitpack: cannot decode");
    const bytes = this.output(n * itemsize);
    return itemsize === 1 ? bytes : new Uint16Array(bytes.buffer);
  }

  /**
   * Pack values into nbits bits each (pmc_nbit_pack); returns the payload.
   * @param {Uint8Array | Uint16Array} values
   */
  nbitPack(values, nbits) {
    const size = (this.c.pmc_nbit_size(values.length, nbits) >>> 0);
    const [ptr] = this.input(values);
    const out = this.area("out", size);
    this.check(this.c.pmc_nbit_pack(ptr, values.length, values.BYTES_PER_ELEMENT, nbits, out, size), "nbitpack");
    return this.output(size);
  }

  /**
   * Encode a PMCS stream (pmc_encode) of C-ordered uint8/uint16 values in planes of ny x nx.
   * @param {Uint8Array | Uint16Array} values
   * @param {number[] | null} params offset, gain, read_noise, step (quantized mode) or null (lossless)
   * @param {boolean} checksum
   * @param {number | null} saturation quantized mode: the saturation value of the dithered quantizer (a version 2
   *   stream), or null for the undithered one (version 1)
   */
  encode(values, nx, ny, params, checksum, saturation = null) {
    const mode = params ? MODE_QUANT : 0;
    const dithered = params && saturation != null;
    // the quantizer carries its parameters into the header
    const q = params && !dithered ? this.quantTables(params).q : 0;
    const dq = dithered ? this.ditherTables(params, saturation).q : 0;
    const bound = (this.c.pmc_encode_bound(values.length, nx, ny, mode) >>> 0);
    const [ptr] = this.input(values);
    const out = this.area("out", bound);
    const need = (this.c.pmc_encode_scratch_size(values.length, nx, ny) >>> 0);
    const scratch = this.area("scratch", need);
    const written = this.small;
    const rc = this.c.pmc_encode(ptr, values.length, values.BYTES_PER_ELEMENT, nx, ny, mode, q, dq,
      checksum ? 1 : 0, out, bound, written, scratch, need, SIMD_PORTABLE);
    this.check(rc, "cannot encode");
    return this.output(this.dv.getUint32(written, true));
  }
}
