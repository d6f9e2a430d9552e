/* quant.h - the camera-model (generalised Anscombe) quantizer.
 * Table construction is specified in docs/FORMAT.md, "Quantizer tables". */
#ifndef PMC_QUANT_H
#define PMC_QUANT_H

#include "../bcl/pmc_common.h"

#define PMQ_TABLE_SIZE 65536

#define PMQ_PHASES 4 /* decoded values per code, chosen by element index mod 4 */

/* Build the encode table enc[x] (ADU value -> code, 65536 entries) and the
 * decode table dec (PMQ_PHASES * 65536 entries): element i of a chunk holding
 * code c decodes to dec[4*c + (i & 3)].  The four entries of a code are its
 * unbiased reconstruction point dithered to integers inside the code's ADU
 * interval (docs/FORMAT.md, "Quantizer tables").  Entries from *ncodes on
 * repeat the last code's.  Returns PMC_E_PARAM for a parameter outside
 * -1e6 <= offset <= 1e6, 1e-6 <= gain <= 1e6, 0 <= read_noise <= 1e4,
 * 1e-3 <= step <= 1e3 (NaN included). */
int pmq_tables(double offset, double gain, double read_noise, double step,
               uint16_t *enc, uint16_t *dec, uint32_t *ncodes);

/* Quantize: out[i] = enc[in[i]] for i < n. */
void pmq_map(const uint16_t *in, size_t n, const uint16_t *enc, uint16_t *out);

/* Dequantize codes[0..n), the elements index0 .. index0+n-1 of their chunk:
 * out[i] = dec[4*codes[i] + ((index0 + i) & 3)].  Returns PMC_E_CORRUPT
 * (after writing all n outputs) when a code is >= ncodes. */
int pmq_dequant(const uint16_t *codes, size_t n, size_t index0, const uint16_t *dec, uint32_t ncodes,
                uint16_t *out);

#endif
