/* huffman.h - the entropy coder of the chunk container (docs/FORMAT.md,
 * "Entropy-coded segment"), as the container (container/chunk.c) uses it.
 *
 * The public segment functions (pmc_segment_bound / _encode / _decode in
 * pymecompress.h) are these with optional scratch; the container passes its
 * own scratch and also decodes straight to the differences the values stand
 * for.
 */
#ifndef PMC_HUFFMAN_H
#define PMC_HUFFMAN_H

#include "pmc_internal.h"

#define PMC_HUF_MAXLEN 11 /* longest code, bits */
#define PMC_HUF_NLIT 64   /* literal symbols 0..63 */
#define PMC_HUF_NSYM 74   /* + escape categories 64..73 */

#define PMC_HUF_ENC_WS 65536u /* workspace bytes of the encoder (the histogram) */
#define PMC_HUF_DEC_WS 32768u /* workspace bytes of the decoder (two tables) */

/* Encode z[0..n) as one segment with workspace ws (PMC_HUF_ENC_WS bytes,
 * 16-byte aligned); as pmc_segment_encode otherwise.  simd: PMC_SIMD_AUTO
 * (AVX2 + BMI2 kernels where the CPU has them) or PMC_SIMD_PORTABLE; the
 * bytes are the same. */
int pmc_huf_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written, void *ws, int simd);

/* Decode exactly n values with workspace ws (PMC_HUF_DEC_WS bytes,
 * 16-byte aligned); as pmc_segment_decode otherwise.  With `deltas`
 * nonzero it stores the signed differences the values stand for,
 * unzigzag(z) (as uint16, mod 2^16), which is what the chunk decoder's
 * unprediction adds: done here it is free in the table lookups. */
int pmc_huf_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n, int deltas, void *ws);

#endif
