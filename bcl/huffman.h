/* huffman.h - the entropy-coded segment of a pymecompress stream.
 *
 * A segment carries n "z values" (uint16, typically zigzagged prediction
 * residuals).  The byte layout is specified in docs/FORMAT.md, section
 * "Entropy-coded segment"; this header is the C interface.
 */
#ifndef PMC_HUFFMAN_H
#define PMC_HUFFMAN_H

#include "pmc_common.h"

#define PMC_HUF_MAXLEN 11    /* longest code, bits */
#define PMC_HUF_NLIT 64      /* literal symbols 0..63 */
#define PMC_HUF_NSYM 74      /* + escape categories 64..73 */

/* Upper bound on the encoded size of a segment of n values (includes the
 * slack the encoder needs for its 8-byte stores). */
size_t pmc_huf_bound(size_t n);

/* Encode z[0..n) as one segment into dst (capacity cap, which must be at
 * least pmc_huf_bound(n)).  On success stores the byte count in *written. */
int pmc_huf_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written);

/* Decode exactly n values from the segment src[0..len) into z[0..n).
 * The segment must occupy exactly len bytes.  Never reads outside
 * src[0..len) nor writes outside z[0..n). */
int pmc_huf_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n);

/* Same checks, but stores the signed differences the values stand for,
 * unzigzag(z) (as uint16, mod 2^16), which is what the chunk decoder's
 * unprediction adds: done here it is free in the table lookups. */
int pmc_huf_decode_deltas(const uint8_t *src, size_t len, uint16_t *d, size_t n);

#endif
