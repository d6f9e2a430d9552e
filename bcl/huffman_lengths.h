/* huffman_lengths.h - Huffman code lengths, the one construction both coders
 * of bcl/ use: the segment coder (huffman_encode.c, docs/FORMAT.md,
 * "Entropy-coded segment") and the legacy BCL coder (legacy.c, "Legacy
 * formats").  Private to bcl/.
 */
#ifndef PMC_HUFFMAN_LENGTHS_H
#define PMC_HUFFMAN_LENGTHS_H

#include "pmc_internal.h"

#define PMC_HUF_LENGTHS_MAXSYM 256u /* largest alphabet */

/* Huffman's algorithm on the nonzero counts cnt[0..nsym) (nsym at most
 * PMC_HUF_LENGTHS_MAXSYM, at least two counts nonzero): len[s] is the code
 * length of symbol s (0 for an absent one; clamped to 255).  Returns the
 * longest length.
 *
 * Tie rule (normative: both formats' encoders follow it): nodes are ordered
 * by (weight, then leaves before internal nodes, then leaves by increasing
 * symbol number and internal nodes by creation order); every step merges the
 * first two nodes in this order into a new internal node.  It is run as the
 * two-queue method: leaves sorted by (count, symbol), internal nodes in
 * creation order (their weights never decrease), a leaf winning a tie
 * against an internal node. */
unsigned pmc_huf_lengths(const uint64_t *cnt, unsigned nsym, uint8_t *len);

/* Lengths limited to maxlen bits: while the longest code exceeds maxlen,
 * every nonzero count c becomes (c >> 1) | 1 (absent symbols stay absent),
 * and the lengths are built again.  cnt is not changed. */
void pmc_huf_limited_lengths(const uint64_t *cnt, unsigned nsym, unsigned maxlen, uint8_t *len);

#endif
