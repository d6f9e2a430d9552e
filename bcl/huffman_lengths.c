/* huffman_lengths.c - Huffman code lengths for both coders of bcl/
 * (huffman_lengths.h). */
#include "huffman_lengths.h"

#include <string.h>

unsigned pmc_huf_lengths(const uint64_t *cnt, unsigned nsym, uint8_t *len)
{
    unsigned leaf[PMC_HUF_LENGTHS_MAXSYM];
    uint64_t w[2 * PMC_HUF_LENGTHS_MAXSYM];
    unsigned parent[2 * PMC_HUF_LENGTHS_MAXSYM], depth[2 * PMC_HUF_LENGTHS_MAXSYM];
    unsigned m = 0;
    for (unsigned s = 0; s < nsym; s++) {
        len[s] = 0;
        if (!cnt[s])
            continue;
        unsigned i = m++;
        while (i > 0 && cnt[leaf[i - 1]] > cnt[s]) { /* stable: equal counts keep symbol order */
            leaf[i] = leaf[i - 1];
            i--;
        }
        leaf[i] = s;
    }
    for (unsigned i = 0; i < m; i++)
        w[i] = cnt[leaf[i]];
    /* leaves 0..m-1 in order, internal nodes from m in creation order */
    unsigned li = 0, ii = m, next = m;
    while (next < 2 * m - 1) {
        unsigned pick[2];
        for (int t = 0; t < 2; t++) {
            if (li < m && (ii >= next || w[li] <= w[ii]))
                pick[t] = li++;
            else
                pick[t] = ii++;
        }
        w[next] = w[pick[0]] + w[pick[1]];
        parent[pick[0]] = parent[pick[1]] = next;
        next++;
    }
    /* the root is node 2m-2; every other node's parent has a larger index */
    const unsigned root = 2 * m - 2;
    unsigned maxlen = 0;
    depth[root] = 0;
    for (unsigned i = root; i-- > 0;) {
        depth[i] = depth[parent[i]] + 1;
        if (i < m) {
            len[leaf[i]] = (uint8_t)(depth[i] > 255 ? 255 : depth[i]);
            if (depth[i] > maxlen)
                maxlen = depth[i];
        }
    }
    return maxlen;
}

void pmc_huf_limited_lengths(const uint64_t *cnt, unsigned nsym, unsigned maxlen, uint8_t *len)
{
    uint64_t c[PMC_HUF_LENGTHS_MAXSYM];
    memcpy(c, cnt, nsym * sizeof c[0]);
    while (pmc_huf_lengths(c, nsym, len) > maxlen)
        for (unsigned s = 0; s < nsym; s++)
            if (c[s])
                c[s] = (c[s] >> 1) | 1u;
}
