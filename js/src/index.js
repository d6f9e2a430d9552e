// pymecompress for JavaScript: the pymecompress C decoders compiled to WebAssembly, as zarrita.js codecs.
import { CODECS } from "./codecs.js";
import { loadCore } from "./wasm.js";

export { CODECS, HuffLossless, HuffQuant8, HuffQuant16, NBitPack, VstQuant16 } from "./codecs.js";
export { decode, info } from "./streams.js";
export { PymecompressError, setWasmSource } from "./wasm.js";

/**
 * Add the pymecompress codecs to a zarrita.js codec registry, under their zarr v3 names (`huffquant16`,
 * `huffquant8`, `hufflossless`, `nbitpack`, `vstquant16`) and the names zarrita gives zarr v2 codecs (`numcodecs.<id>`).
 * The WebAssembly module loads when an array using one of them is first read.
 *
 * @example
 * import * as zarr from "zarrita";
 * import { register } from "pymecompress";
 * register(zarr.registry);
 *
 * @param {Map<string, () => Promise<unknown>>} registry e.g. `zarr.registry`
 * @returns {Map<string, () => Promise<unknown>>} the same registry
 */
export function register(registry) {
  for (const [name, Codec] of Object.entries(CODECS)) {
    const load = async () => {
      await loadCore();
      return Codec;
    };
    registry.set(name, load);
    registry.set(`numcodecs.${name}`, load);
  }
  return registry;
}
