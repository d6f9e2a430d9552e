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

#endif
