/* quant.h - the camera-model (generalised Anscombe) quantizer, inside the
 * library: the layout of pmc_quant and the kernels the container and the
 * predictor call.  Table construction is specified in docs/FORMAT.md,
 * "Quantizer tables"; the public functions are in pymecompress.h.
 */
#ifndef PMC_QUANT_H
#define PMC_QUANT_H

#include "pmc_internal.h"

#define PMQ_TABLE_SIZE PMC_QUANT_LEVELS
#define PMQ_PHASES PMC_QUANT_PHASES /* decoded values per code, chosen by element index mod 4 */

/* Element i of a chunk holding code c decodes to dec[4*c + (i & 3)]: the
 * code's unbiased reconstruction point dithered to integers inside its ADU
 * interval.  Entries from ncodes on repeat the last code's. */
struct pmc_quant {
    double params[4]; /* offset, gain, read_noise, step, as given to pmc_quant_init */
    uint32_t ncodes;
    uint16_t enc[PMQ_TABLE_SIZE];
    uint16_t dec[PMQ_PHASES * PMQ_TABLE_SIZE];
};

/* 1 when q was built from these parameter values (its tables are theirs). */
int pmq_matches(const pmc_quant *q, const double params[4]);

/* out[i] = lut[in[i]] for i < n (in and out may be the same array). */
void pmq_map(const uint16_t *in, size_t n, const uint16_t *lut, uint16_t *out);

/* Dequantize codes[0..n), the elements index0 .. index0+n-1 of their chunk:
 * out[i] = dec[4*codes[i] + ((index0 + i) & 3)].  PMC_E_CORRUPT (after
 * writing all n outputs) when a code is >= ncodes.  avx2: whether to use
 * the AVX2 kernel (pmc_use_avx2, decided once by the caller; same results). */
int pmq_dequant(const uint16_t *codes, size_t n, size_t index0, const uint16_t *dec, uint32_t ncodes,
                uint16_t *out, int avx2);

/* ---- the dithered quantizer of version 2 streams (dquant.c) ---- */
#define PMQ_K PMC_DITHER_PHASES           /* dither phases per step */
#define PMQ_KBITS 5                       /* log2(PMQ_K) */
#define PMQ_ANCHORS PMC_DITHER_ANCHORS    /* elements whose phases chain on the codes before them */
#define PMQ_DITHER_INIT 0x6A09E667u       /* the chain's state before element 0 */

/* fine[x]: the fine index of x (x above the saturation value reads as it);
 * rec[G + 31]: what window G (fine indices G .. G + 31) decodes to, for
 * G = -31 .. fmax. */
struct pmc_dquant {
    double params[4];  /* offset, gain, read_noise, step */
    uint32_t saturation; /* 0 until pmc_dquant_init completes */
    uint32_t fmax;       /* fine[saturation] */
    uint32_t fine[PMQ_TABLE_SIZE];
    uint16_t rec[];      /* fmax + PMQ_K entries */
};

/* 1 when q was built from these parameters and saturation value. */
int pmq_dmatches(const pmc_dquant *q, const double params[4], uint32_t saturation);

/* Codes of elements index0 .. index0+n-1 of a chunk, from uint16 values in
 * (or, when in is NULL, uint8 values in8); *state is the phase chain's state
 * (PMQ_DITHER_INIT before element 0), carried from one call to the next,
 * which must continue where the last one ended.  in and out may alias.
 * avx2: whether to compute the phases with the AVX2 instance (pmc_use_avx2;
 * the same results). */
void pmq_dmap(const pmc_dquant *q, const uint16_t *in, const uint8_t *in8, size_t n, size_t index0,
              uint32_t *state, uint16_t *out, int avx2);

/* Values of the codes of elements index0 .. index0+n-1 (state as above).
 * PMC_E_CORRUPT, after writing all n outputs, when a code and its phase
 * name no window of q. */
int pmq_ddequant(const pmc_dquant *q, const uint16_t *codes, size_t n, size_t index0, uint32_t *state,
                 uint16_t *out, int avx2);

/* ---- the quantizer at the chunk level (stage.c) ----
 * Which quantizer a chunk uses and how its values become codes and back, for
 * both stream versions and for lossless chunks (codes are the values), with
 * the rules of uint8 data (docs/FORMAT.md, "Chunk container"). */

/* The encoder's side: codes of a chunk's values, in element order. */
typedef struct {
    const pmc_quant *q;   /* version 1, or NULL */
    const pmc_dquant *dq; /* version 2, or NULL */
    uint32_t state;       /* the dither phase chain (version 2) */
    int avx2;
} pmq_coder;

/* Set c up for a chunk of mode `mode` and item size itemsize with exactly
 * one of q and dq in mode 1 (both ignored in mode 0).  PMC_E_PARAM when
 * they do not fit: none or both, tables never built, or uint8 data with a
 * saturation value above 255. */
int pmq_coder_init(pmq_coder *c, int mode, const pmc_quant *q, const pmc_dquant *dq, int itemsize, int avx2);

/* Codes of elements index0 .. index0+n-1 of the chunk (every call continues
 * where the last one ended) from uint16 values in or, when in is NULL, uint8
 * values in8; in and out may be the same array. */
void pmq_codes(pmq_coder *c, const uint16_t *in, const uint8_t *in8, size_t n, size_t index0, uint16_t *out);

/* The decoder's side, the output stage: what it does with the rows of codes
 * it is handed, in element order: dequantize with the version 1 table dec
 * (ncodes codes), or with the dithered quantizer dq (state: its phase chain,
 * from PMQ_DITHER_INIT), or, with neither, write the codes as the values. */
typedef struct {
    const uint16_t *dec;
    uint32_t ncodes;
    const pmc_dquant *dq;
    uint32_t state;
    int itemsize;
} pmq_stage;

/* Set st up for a chunk of this version's tables (q for version 1, dq for
 * version 2, neither for a lossless chunk) and item size. */
void pmq_stage_init(pmq_stage *st, const pmc_quant *q, const pmc_dquant *dq, int itemsize);

/* Write the values of the codes of elements index0 .. index0+n-1 (every call
 * continues where the last one ended) into out (n items of the stage's item
 * size); tmp: room for n uint16 values (used for uint8 output).
 * PMC_E_CORRUPT, after writing all n, when a code is not one the quantizer
 * defines or, lossless, a code of uint8 data is above 255. */
int pmq_stage_emit(pmq_stage *st, const uint16_t *codes, size_t n, size_t index0, void *out, uint16_t *tmp, int avx2);

#endif
