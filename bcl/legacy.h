/* legacy.h - the bit stream of the original pymecompress / BCL Huffman coder.
 *
 * Read and written for compatibility with data of pymecompress 0.3 and PYME.
 * The format (docs/FORMAT.md, "Legacy formats") has no header: a pre-order
 * walk of the code tree, then one code per symbol, MSB first, zero padding to
 * a byte boundary.  The symbol count is not in the stream; the caller knows it.
 */
#ifndef PMC_LEGACY_H
#define PMC_LEGACY_H

#include "pmc_common.h"

#define PMC_LEGACY_MAXNODES 511 /* a tree over 256 byte values has at most 511 nodes */
#define PMC_LEGACY_MAXLEN 24    /* longest code the encoder writes, bits */

/* Upper bound on the encoded size of n bytes (0 for n = 0; SIZE_MAX if it
 * would overflow). */
size_t pmc_legacy_huf_bound(size_t n);

/* Encode src[0..n) as one stream into dst (capacity cap).  On success stores
 * the byte count in *written.  PMC_E_OUTPUT when cap is too small (a cap of
 * pmc_legacy_huf_bound(n) always suffices).  Empty input gives 0 bytes. */
int pmc_legacy_huf_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *written);

/* Decode the first nsym symbols of the stream src[0..len) into dst[0..nsym).
 * Bits after them are ignored.  If end_bits is not NULL it receives the number
 * of stream bits the tree and the nsym codes occupy.  Never reads outside
 * src[0..len) nor writes outside dst[0..nsym).  Errors: PMC_E_TRUNCATED (the
 * stream ends first), PMC_E_CORRUPT (tree of more than 511 nodes or a symbol
 * that appears twice in it).  nsym = 0 succeeds without reading anything. */
int pmc_legacy_huf_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t nsym, size_t *end_bits);

#endif
