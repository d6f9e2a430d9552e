/* pymecompress.h - the public interface of the pymecompress C library.
 *
 * This header is the whole contract of the library: every function a caller
 * (the Python binding, the WebAssembly build, the fuzz targets, another
 * language) may use is declared here, with the status codes it returns.  The
 * byte formats these functions read and write are specified in
 * docs/FORMAT.md, which is normative.
 *
 * Conventions
 *   - Every function is re-entrant: no mutable static state.  Inputs are
 *     const, sizes are size_t, and nothing is printed.
 *   - Functions that can fail return an int status: PMC_OK (0) or one of the
 *     negative PMC_E_* codes below; pmc_strerror() gives its message.
 *   - Decoders never read outside the input they are given nor write outside
 *     the output they are given, whatever the input holds.
 *   - Caller buffers may sit at any address (a uint16 array at an odd
 *     address is read and written byte-wise).
 *   - Scratch memory: functions that need working memory beyond a few
 *     hundred bytes of stack take a `scratch` pointer and its size.  Pass
 *     memory of at least the size the matching *_scratch_size() function (or
 *     PMC_*_SCRATCH constant) gives, at any alignment, to reuse it across
 *     calls (no allocation then); pass NULL to let the function allocate
 *     (malloc) and free it itself.
 *   - SIMD: `simd` is PMC_SIMD_AUTO (vector kernels where the CPU has them,
 *     chosen at run time) or PMC_SIMD_PORTABLE (plain C).  Both give the same
 *     bytes.
 *
 * Layers (one folder each; no folder includes from a folder above it):
 *   common/     status messages, CPU features, CRC-32C, byte-order helpers
 *   bcl/        the entropy coder (segments) and the legacy BCL Huffman coder
 *   quantizer/  the camera-model quantizer, the spatial predictor, n-bit packing
 *   container/  the PMCS chunk container, built on bcl/ and quantizer/
 */
#ifndef PYMECOMPRESS_H
#define PYMECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ---------------------------------------------------------------
 * The library's version, MAJOR.MINOR.PATCH (the Python package's release
 * number); PMC_VERSION_NUMBER is MAJOR * 10000 + MINOR * 100 + PATCH. */
#define PMC_VERSION_MAJOR 1
#define PMC_VERSION_MINOR 0
#define PMC_VERSION_PATCH 0
#define PMC_VERSION_NUMBER (PMC_VERSION_MAJOR * 10000 + PMC_VERSION_MINOR * 100 + PMC_VERSION_PATCH)

/* The compiled library's PMC_VERSION_NUMBER and "MAJOR.MINOR.PATCH" (a
 * static string): a caller built against this header may check that the
 * library it runs with matches. */
unsigned pmc_version(void);
const char *pmc_version_string(void);

/* ---- status codes --------------------------------------------------------
 * Some codes mean the input is not a valid stream (a decode error:
 * pmc_is_stream_error() says which); the others are caller errors or
 * resource limits. */
#define PMC_OK 0
#define PMC_E_TRUNCATED (-1) /* input ends before the data it announces */
#define PMC_E_CORRUPT (-2)   /* a field holds an impossible value */
#define PMC_E_TABLE (-3)     /* invalid Huffman code-length table */
#define PMC_E_OUTPUT (-4)    /* output buffer too small / size mismatch */
#define PMC_E_NOMEM (-5)     /* allocation failed */
#define PMC_E_PARAM (-6)     /* invalid parameter passed by the caller */
#define PMC_E_MAGIC (-7)     /* not a pymecompress stream */
#define PMC_E_VERSION (-8)   /* stream format version not supported */
#define PMC_E_CHECKSUM (-9)  /* CRC-32C mismatch */
#define PMC_E_TRAILING (-10) /* bytes left over after the stream */
#define PMC_E_RANGE (-11)    /* a value does not fit the requested width */
#define PMC_E_SCRATCH (-12)  /* scratch memory smaller than the *_scratch_size() figure */
#define PMC_E_TABLES (-13)   /* quantizer tables built for other parameters than the stream's */
#define PMC_E_QPARAMS (-14)  /* the stream's quantizer parameters are outside pmc_quant_limits */

/* The message of a status code (a static string; "unknown error" for others). */
const char *pmc_strerror(int code);

/* 1 when a status code means the input is not a valid stream (truncated,
 * corrupt, a bad code table, magic, version, checksum, trailing bytes or
 * quantizer parameters outside their limits),
 * whatever the caller did; 0 for PMC_OK, caller errors (PMC_E_OUTPUT,
 * PMC_E_PARAM, ...) and resource limits (PMC_E_NOMEM). */
int pmc_is_stream_error(int code);

/* ---- CPU features -------------------------------------------------------- */
#define PMC_SIMD_AUTO 0     /* use AVX2 / SSE4.2 where the CPU has them */
#define PMC_SIMD_PORTABLE 1 /* force the portable C path */

/* 1 when the AVX2 kernels would be used for `simd`, else 0. */
int pmc_use_avx2(int simd);

/* ---- CRC-32C --------------------------------------------------------------
 * Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor
 * 0xFFFFFFFF ("123456789" gives 0xE3069283). */
uint32_t pmc_crc32c(const uint8_t *data, size_t len, int simd);

/* ---- the camera-model quantizer (docs/FORMAT.md, "Quantizer tables") -----
 * A pmc_quant holds the tables of one parameter set and the parameters
 * themselves: an encode table (ADU value -> code, 65536 entries) and a
 * decode table of four values per code (element i of a chunk holding code c
 * decodes to dec[4*c + (i & 3)]).  It is caller memory of pmc_quant_size()
 * bytes (any alignment malloc gives; 8-byte aligned), filled by
 * pmc_quant_init and read-only afterwards, so one object may serve any
 * number of threads. */
typedef struct pmc_quant pmc_quant;

#define PMC_QUANT_LEVELS 65536 /* entries of the encode table */
#define PMC_QUANT_PHASES 4     /* decoded values per code */

/* Parameter indexes, in the order of every params[4] array. */
#define PMC_PARAM_OFFSET 0
#define PMC_PARAM_GAIN 1
#define PMC_PARAM_READ_NOISE 2
#define PMC_PARAM_STEP 3

size_t pmc_quant_size(void);

/* The allowed range of parameter i (PMC_PARAM_*): stores its bounds in *min
 * and *max (inclusive) and returns its name ("offset", "gain", "read_noise",
 * "step"); NULL for any other i.  These are the only limits: every layer
 * above reads them from here. */
const char *pmc_quant_limits(int i, double *min, double *max);

/* Build the tables of {offset, gain, read_noise, step} into q.  PMC_E_PARAM
 * when a parameter is outside its limits (NaN included); q is then unusable. */
int pmc_quant_init(pmc_quant *q, double offset, double gain, double read_noise, double step);

/* What q was built from (params[PMC_PARAM_*]), its code count, its tables
 * (PMC_QUANT_LEVELS and PMC_QUANT_PHASES * PMC_QUANT_LEVELS entries; codes
 * from the code count on repeat the last code's values). */
void pmc_quant_params(const pmc_quant *q, double params[4]);
uint32_t pmc_quant_ncodes(const pmc_quant *q);
const uint16_t *pmc_quant_encode_table(const pmc_quant *q);
const uint16_t *pmc_quant_decode_table(const pmc_quant *q);

/* Quantize: out[i] = code of in[i], i < n (in and out may be the same array). */
void pmc_quantize(const pmc_quant *q, const uint16_t *in, size_t n, uint16_t *out);

/* Dequantize codes[0..n), the elements index0 .. index0+n-1 of their chunk
 * (the index picks the dither phase).  PMC_E_CORRUPT, after writing all n
 * outputs, when a code is not one q defines. */
int pmc_dequantize(const pmc_quant *q, const uint16_t *codes, size_t n, size_t index0, uint16_t *out);

/* ---- the dithered quantizer (docs/FORMAT.md, "Dithered quantizer") --------
 * The quantizer of version 2 streams: subtractive dither keyed by an
 * element's index in its chunk, so decoded values do not sit on a grid of
 * reconstruction levels (medians and modes stay where they were), with the
 * value 0 and a saturation value kept exact.  A pmc_dquant holds the tables
 * of one parameter set: a fine index per ADU value (PMC_QUANT_LEVELS
 * entries) and a decode table of pmc_dquant_levels() entries.  Its size
 * depends on the parameters: caller memory of pmc_dquant_size() bytes (any
 * alignment malloc gives), filled by pmc_dquant_init and read-only
 * afterwards, so one object may serve any number of threads. */
typedef struct pmc_dquant pmc_dquant;

#define PMC_DITHER_PHASES 32   /* dither phases per quantization step */
#define PMC_DITHER_ANCHORS 1024 /* the first elements of a chunk, whose phases chain on the codes before them */

/* Bytes of a pmc_dquant for these parameters (the limits of
 * pmc_quant_limits; saturation 1..65535), 0 when one is outside them. */
size_t pmc_dquant_size(double offset, double gain, double read_noise, double step, uint32_t saturation);

/* Build the tables into q (size bytes, at least pmc_dquant_size()).
 * PMC_E_PARAM for parameters outside their limits, PMC_E_OUTPUT when size is
 * too small, PMC_E_NOMEM when working memory cannot be had; q is then
 * unusable. */
int pmc_dquant_init(pmc_dquant *q, size_t size, double offset, double gain, double read_noise, double step,
                    uint32_t saturation);

/* What q was built from, its decode table's length and its tables. */
void pmc_dquant_params(const pmc_dquant *q, double params[4]);
uint32_t pmc_dquant_saturation(const pmc_dquant *q);
size_t pmc_dquant_levels(const pmc_dquant *q);
const uint32_t *pmc_dquant_fine_table(const pmc_dquant *q);
const uint16_t *pmc_dquant_decode_table(const pmc_dquant *q);

/* Quantize the n elements of one chunk, element 0 first (the phases depend
 * on every element's index and on the codes of the first
 * PMC_DITHER_ANCHORS); in and out may be the same array. */
void pmc_dquantize(const pmc_dquant *q, const uint16_t *in, size_t n, uint16_t *out);

/* Dequantize the n codes of one chunk.  PMC_E_CORRUPT, after writing all n
 * outputs, when a code is not one q defines for its phase. */
int pmc_ddequantize(const pmc_dquant *q, const uint16_t *codes, size_t n, uint16_t *out);

/* ---- PMCS chunks (docs/FORMAT.md, "Chunk container") --------------------- */
#define PMC_FORMAT_VERSION 2  /* the newest stream version: dithered quantization (version 1: the others) */
#define PMC_MODE_LOSSLESS 0   /* predictor + entropy coder */
#define PMC_MODE_QUANT 1      /* quantizer, then predictor + entropy coder */
#define PMC_FLAG_CRC 1        /* the stream ends with a CRC-32C trailer */
#define PMC_SEG_DEFAULT 262144 /* values per entropy segment the encoder writes */
#define PMC_SEG_MAX 1048576    /* largest segment a decoder accepts */

/* What a chunk's header says. */
typedef struct {
    uint64_t n;         /* element count */
    uint32_t nx, ny;    /* plane width and height */
    uint32_t tw, th;    /* tile width and height */
    uint32_t seg;       /* values per entropy segment */
    int mode;           /* PMC_MODE_* */
    int itemsize;       /* 1 (uint8) or 2 (uint16) */
    unsigned flags;     /* PMC_FLAG_* */
    double params[4];   /* mode 1: offset, gain, read_noise, step (else 0) */
    size_t header_size; /* bytes of the header */
    int version;        /* 1, or 2: mode 1 with the dithered quantizer */
    uint32_t saturation; /* version 2: the saturation value (else 0) */
} pmc_info;

/* Parse and validate a chunk's header (cheap; no allocation).  Refuses
 * element counts the input is too short to hold, and quantizer parameters
 * outside pmc_quant_limits (PMC_E_QPARAMS). */
int pmc_stream_info(const uint8_t *src, size_t len, pmc_info *info);

/* Upper bound on the encoded size of a chunk of n elements in planes of
 * ny x nx. */
size_t pmc_encode_bound(size_t n, size_t nx, size_t ny, int mode);

/* Scratch bytes pmc_encode needs for n elements in planes of ny x nx
 * (SIZE_MAX when that does not fit a size_t). */
size_t pmc_encode_scratch_size(size_t n, size_t nx, size_t ny);

/* Encode n elements of src (itemsize 1 or 2, native uint8/uint16; planes of
 * ny x nx, n a multiple of nx * ny) as one chunk into dst, whose capacity
 * cap must be at least pmc_encode_bound(); stores the byte count in
 * *written.  Mode PMC_MODE_QUANT quantizes with exactly one of dq (the
 * dithered quantizer: a version 2 stream; itemsize 1 needs a saturation
 * value of at most 255) and q (a version 1 stream), and writes its
 * parameters into the header (itemsize 1: uint8 values through the same
 * tables, docs/FORMAT.md); mode PMC_MODE_LOSSLESS ignores both (NULL
 * allowed).  checksum != 0 appends a CRC-32C trailer. */
int pmc_encode(const void *src, size_t n, int itemsize, size_t nx, size_t ny, int mode, const pmc_quant *q,
               const pmc_dquant *dq, int checksum, uint8_t *dst, size_t cap, size_t *written, void *scratch,
               size_t scratch_size, int simd);

/* Scratch bytes pmc_decode needs for a chunk with this header, decoding into
 * out (the figure depends on out only through its alignment). */
size_t pmc_decode_scratch_size(const pmc_info *info, const void *out);

/* Decode a chunk into out, whose size out_bytes must equal n * itemsize of
 * its header.  A quantized chunk (mode 1) needs the tables of exactly the
 * header's parameters: q for version 1, dq (and its saturation value) for
 * version 2 (PMC_E_TABLES for others, PMC_E_PARAM when the one it needs is
 * NULL); lossless chunks ignore both. */
int pmc_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes, const pmc_quant *q,
               const pmc_dquant *dq, void *scratch, size_t scratch_size, int simd);

/* ---- decoding context ------------------------------------------------------
 * A pmc_dctx decodes chunks of any mode and version with one call: it keeps
 * the working memory of the last chunks (grown as needed) and the prepared
 * quantizers of the last PMC_DCTX_TABLES parameter sets the streams named,
 * built from the header when first needed.  It is mutable state for one
 * thread at a time (give each thread its own); the library keeps none. */
typedef struct pmc_dctx pmc_dctx;

#define PMC_DCTX_TABLES 4 /* prepared quantizers a context keeps (least recently used dropped first) */

/* A new context (NULL when memory cannot be had); pmc_dctx_free releases
 * it and all it holds (NULL is allowed). */
pmc_dctx *pmc_dctx_create(void);
void pmc_dctx_free(pmc_dctx *ctx);

/* Decode a chunk into out, as pmc_decode does, with the context's memory and
 * the quantizer of the header's own parameters. */
int pmc_dctx_decode(pmc_dctx *ctx, const uint8_t *src, size_t len, void *out, size_t out_bytes, int simd);

/* Only the entropy stage: the n prediction residuals (zigzagged, memory
 * order) the chunk's segments hold, after every check pmc_decode makes on
 * them.  For analysis (their entropy); pmc_decode is the way to decode. */
int pmc_residuals(const uint8_t *src, size_t len, uint16_t *z, size_t n);

/* ---- entropy-coded segments (docs/FORMAT.md, "Entropy-coded segment") ----
 * The building block of a chunk, for tests and analysis: one segment holds
 * n uint16 values. */
#define PMC_SEGMENT_ENCODE_SCRATCH (65536 + 16) /* bytes of scratch pmc_segment_encode needs */
#define PMC_SEGMENT_DECODE_SCRATCH (32768 + 16) /* bytes of scratch pmc_segment_decode needs */

/* Upper bound on the encoded size of a segment of n values (SIZE_MAX when
 * it would overflow). */
size_t pmc_segment_bound(size_t n);

/* Encode z[0..n) as one segment into dst (cap >= pmc_segment_bound(n)). */
int pmc_segment_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written, void *scratch);

/* Decode exactly n values from the segment src[0..len) (which it must
 * occupy exactly) into z[0..n). */
int pmc_segment_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n, void *scratch);

/* ---- n-bit packing (docs/FORMAT.md, "n-bit packed stream") ---------------------------
 * Value i occupies bits [i*nbits, (i+1)*nbits) of a least-significant-bit-
 * first stream; the last byte is padded with zero bits. */

/* Bytes of n values of nbits bits. */
size_t pmc_nbit_size(size_t n, unsigned nbits);

/* Pack n values (itemsize 1 or 2) of at most nbits bits (1..8*itemsize)
 * into dst (cap >= pmc_nbit_size()).  PMC_E_RANGE when a value needs more
 * bits (dst then holds nothing meaningful). */
int pmc_nbit_pack(const void *src, size_t n, int itemsize, unsigned nbits, uint8_t *dst, size_t cap);

/* Unpack exactly n values from src[0..len); len must equal
 * pmc_nbit_size(n, nbits) and the padding bits must be zero. */
int pmc_nbit_unpack(const uint8_t *src, size_t len, unsigned nbits, void *dst, size_t n, int itemsize);

/* ---- the legacy BCL Huffman bit stream (docs/FORMAT.md, "Legacy formats") -
 * What the original pymecompress / PYME wrote: no header, a pre-order walk of
 * the code tree, then one code per byte symbol, MSB first, zero padding to a
 * byte boundary.  The symbol count is not in the stream. */

/* Upper bound on the encoded size of n bytes (0 for n = 0; SIZE_MAX if it
 * would overflow). */
size_t pmc_legacy_huf_bound(size_t n);

/* Encode src[0..n) into dst (cap >= pmc_legacy_huf_bound(n) always
 * suffices; PMC_E_OUTPUT when cap is too small). */
int pmc_legacy_huf_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *written);

/* Decode the first nsym symbols of src[0..len) into dst[0..nsym); bits after
 * them are ignored.  end_bits (may be NULL) receives the stream bits the tree
 * and the nsym codes occupy. */
int pmc_legacy_huf_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t nsym, size_t *end_bits);

#ifdef __cplusplus
}
#endif

#endif
