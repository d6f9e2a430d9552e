// zarrita.js codecs: huffquant16, huffquant8, hufflossless (bytes_to_bytes), nbitpack (array_to_bytes), vstquant16
// (array_to_array). The configuration names are the ones zarr-python writes (pymecompress/zarr/codecs.py).
import { asBytes, checkPlausible, NBIT_HEADER, nbitInfo } from "./streams.js";
import { loadCore, PymecompressError } from "./wasm.js";

const TYPED = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
};

function count(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/** C-order strides (in elements) of a shape. */
export function cStrides(shape) {
  const stride = new Array(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = step;
    step *= shape[i];
  }
  return stride;
}

/** [nx, ny]: width and height of the planes (the last two axes), as the Python encoder takes them. */
function planeShape(shape) {
  const nx = shape.length >= 1 ? shape[shape.length - 1] : 1;
  const ny = shape.length >= 2 ? shape[shape.length - 2] : 1;
  return nx === 0 || ny === 0 || count(shape) === 0 ? [1, 1] : shape.length >= 2 ? [nx, ny] : [count(shape), 1];
}

function typedArrayOf(dataType, codecId, allowed) {
  if (!allowed.includes(dataType)) {
    throw new PymecompressError(`${codecId} handles ${allowed.join(", ")} arrays, this array is ${dataType}`);
  }
  return TYPED[dataType];
}

/** View bytes as values of `Ctor`, copying when they are not aligned. */
function viewAs(bytes, Ctor) {
  if (bytes.byteOffset % Ctor.BYTES_PER_ELEMENT) bytes = bytes.slice();
  return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
}

/**
 * Camera-model parameters [offset, gain, read_noise, step] of a codec configuration (`scale` replaces step).
 * `offset` and `gain` (or `scale`) are required, as in Python: no camera fits everyone's data.
 */
export function cameraParams(config = {}, codecId = "the codec") {
  if (config.offset == null || (config.gain == null && config.scale == null)) {
    throw new PymecompressError(`${codecId} needs the camera's offset and gain in its configuration ` +
      `(got offset=${config.offset}, gain=${config.gain}); measure them with \`pymecompress calibrate\``);
  }
  const offset = Number(config.offset);
  const gain = Number(config.gain ?? 1);
  const readNoise = Number(config.read_noise ?? 0);
  const step = config.scale == null ? Number(config.step ?? 1) : (2 * Number(config.scale)) / Math.sqrt(gain);
  return [offset, gain, readNoise, step];
}

/**
 * The saturation value of the dithered quantizer a configuration asks for, or null without dithering: a
 * configuration without `dither` was written before dithering existed and reads as `dither: false`.
 */
export function ditherSaturation(config = {}, top = 65535) {
  if (config.dither !== true) return null;
  const saturation = Number(config.saturation ?? top);
  if (!Number.isInteger(saturation) || saturation < 1 || saturation > top) {
    throw new PymecompressError(`saturation must be an integer within 1..${top}, got ${config.saturation}`);
  }
  return saturation;
}

class PmcsCodec {
  /** @param {object} config @param {{dataType: string, shape: number[]}} meta @param {number} mode */
  constructor(config, meta, mode, id, allowed) {
    this.kind = "bytes_to_bytes";
    this.id = id;
    this.mode = mode;
    this.TypedArray = typedArrayOf(meta.dataType, id, allowed);
    this.shape = meta.shape;
    this.count = count(meta.shape);
    this.checksum = config?.checksum ?? true;
  }

  /**
   * Decoded chunk bytes (little-endian, C order) of an encoded chunk.
   * @param {Uint8Array} bytes
   * @returns {Promise<Uint8Array>}
   */
  async decode(bytes) {
    const core = await loadCore();
    const itemsize = this.TypedArray.BYTES_PER_ELEMENT;
    const { bytes: out } = core.decode(bytes, (h) => {
      if (h.mode !== this.mode) {
        throw new PymecompressError(this.mode === 1
          ? `${this.id}: this stream is lossless (hufflossless), not quantized; decode it with HuffmanLossless`
          : `${this.id}: this stream is quantized (huffquant16); decode it with HuffmanQuant16`, undefined, true);
      }
      if (h.n !== this.count || h.itemsize !== itemsize) {
        throw new PymecompressError(`${this.id}: the stored chunk holds ${h.n} values of ${h.itemsize} byte(s) ` +
          `but the array expects ${this.count} values of ${itemsize} byte(s) for chunk shape ` +
          `(${this.shape.join(", ")}): the chunk belongs to another array or is corrupt`, undefined, true);
      }
      checkPlausible(h, bytes.length);
    });
    return out;
  }

  /**
   * Encode chunk bytes (little-endian, C order) as a PMCS stream.
   * @param {Uint8Array} bytes
   * @returns {Promise<Uint8Array>}
   */
  async encode(bytes) {
    const core = await loadCore();
    const values = viewAs(asBytes(bytes), this.TypedArray.BYTES_PER_ELEMENT === 2 ? Uint16Array : Uint8Array);
    const [nx, ny] = planeShape(this.shape);
    return core.encode(values, nx, ny, this.params ?? null, this.checksum, this.saturation ?? null);
  }
}

/** `huffquant16`: noise-bounded lossy codec for uint16 camera data (bytes_to_bytes). */
export class HuffQuant16 extends PmcsCodec {
  static kind = "bytes_to_bytes";
  constructor(config, meta) {
    super(config, meta, 1, "huffquant16", ["uint16"]);
    this.params = cameraParams(config, "huffquant16");
    this.saturation = ditherSaturation(config, 65535);
  }
  /** @param {object} config @param {{dataType: string, shape: number[]}} meta */
  static fromConfig(config, meta) {
    return new HuffQuant16(config, meta);
  }
}

/** `huffquant8`: the same noise-bounded codec for uint8 camera data, uint8 kept (bytes_to_bytes). */
export class HuffQuant8 extends PmcsCodec {
  static kind = "bytes_to_bytes";
  constructor(config, meta) {
    super(config, meta, 1, "huffquant8", ["uint8"]);
    this.params = cameraParams(config, "huffquant8");
    this.saturation = ditherSaturation(config, 255);
  }
  /** @param {object} config @param {{dataType: string, shape: number[]}} meta */
  static fromConfig(config, meta) {
    return new HuffQuant8(config, meta);
  }
}

/** `hufflossless`: lossless predictive Huffman codec for 8- and 16-bit integers (bytes_to_bytes). */
export class HuffLossless extends PmcsCodec {
  static kind = "bytes_to_bytes";
  constructor(config, meta) {
    super(config, meta, 0, "hufflossless", ["uint8", "int8", "uint16", "int16"]);
  }
  /** @param {object} config @param {{dataType: string, shape: number[]}} meta */
  static fromConfig(config, meta) {
    return new HuffLossless(config, meta);
  }
}

/** `nbitpack`: n-bit packing (array_to_bytes serializer). */
export class NBitPack {
  static kind = "array_to_bytes";
  constructor(config, meta) {
    this.kind = "array_to_bytes";
    this.nbits = Number(config?.nbits ?? 0);
    this.TypedArray = typedArrayOf(meta.dataType, "nbitpack", ["uint8", "int8", "uint16", "int16"]);
    this.shape = meta.shape;
    this.count = count(meta.shape);
  }
  /** @param {object} config @param {{dataType: string, shape: number[]}} meta */
  static fromConfig(config, meta) {
    return new NBitPack(config, meta);
  }

  /**
   * @param {Uint8Array} bytes a PMCN stream
   * @returns {Promise<{data: ArrayBufferView, shape: number[], stride: number[]}>}
   */
  async decode(bytes) {
    const core = await loadCore();
    const header = nbitInfo(bytes);
    const itemsize = this.TypedArray.BYTES_PER_ELEMENT;
    if (header.n !== this.count || header.itemsize !== itemsize) {
      throw new PymecompressError(`nbitpack: the stored chunk holds ${header.n} values of ${header.itemsize} ` +
        `byte(s) but the array expects ${this.count} values of ${itemsize} byte(s)`, undefined, true);
    }
    const values = core.nbitUnpack(bytes.subarray(NBIT_HEADER), header.nbits, header.n, itemsize);
    return { data: new this.TypedArray(values.buffer), shape: this.shape, stride: cStrides(this.shape) };
  }

  /**
   * @param {{data: ArrayBufferView, shape: number[], stride: number[]}} chunk C-ordered
   * @returns {Promise<Uint8Array>}
   */
  async encode(chunk) {
    const core = await loadCore();
    const itemsize = this.TypedArray.BYTES_PER_ELEMENT;
    const values = viewAs(asBytes(chunk.data), itemsize === 2 ? Uint16Array : Uint8Array);
    let max = 0;
    for (const v of values) if (v > max) max = v;
    const nbits = this.nbits || Math.max(1, 32 - Math.clz32(max));
    if (nbits > 8 * itemsize) throw new PymecompressError(`nbits=${nbits} is wider than the ${8 * itemsize}-bit data`);
    const payload = core.nbitPack(values, nbits);
    const out = new Uint8Array(NBIT_HEADER + payload.length);
    const dv = new DataView(out.buffer);
    out.set([0x50, 0x4d, 0x43, 0x4e, 1, itemsize, nbits, 0]);
    dv.setUint32(8, values.length % 2 ** 32, true);
    dv.setUint32(12, Math.floor(values.length / 2 ** 32), true);
    out.set(payload, NBIT_HEADER);
    return out;
  }
}

/** `vstquant16`: the camera-model quantizer as a filter, uint16 values <-> uint16 codes (array_to_array). */
export class VstQuant16 {
  static kind = "array_to_array";
  constructor(config, meta) {
    this.kind = "array_to_array";
    typedArrayOf(meta.dataType, "vstquant16", ["uint16"]);
    this.params = cameraParams(config, "vstquant16");
    this.saturation = ditherSaturation(config, 65535);
  }
  /** @param {object} config @param {{dataType: string, shape: number[]}} meta */
  static fromConfig(config, meta) {
    return new VstQuant16(config, meta);
  }

  /**
   * Values of a chunk of codes; the dither phase is the element's index in memory order, as in Python (with
   * `dither`, the codes of the whole chunk).
   * @param {{data: Uint16Array, shape: number[], stride: number[]}} chunk
   */
  async decode(chunk) {
    const core = await loadCore();
    return { data: core.dequantize(chunk.data, this.params, this.saturation), shape: chunk.shape, stride: chunk.stride };
  }

  /** @param {{data: Uint16Array, shape: number[], stride: number[]}} chunk */
  async encode(chunk) {
    const core = await loadCore();
    return { data: core.quantize(chunk.data, this.params, this.saturation), shape: chunk.shape, stride: chunk.stride };
  }
}

/** Codec classes by the name zarr.json gives them. */
export const CODECS = {
  huffquant16: HuffQuant16, huffquant8: HuffQuant8, hufflossless: HuffLossless, nbitpack: NBitPack,
  vstquant16: VstQuant16,
};
