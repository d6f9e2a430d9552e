/* huffman.c - entropy-coded segments (docs/FORMAT.md, "Entropy-coded segment").
 *
 * Encoder
 *   1. One pass counts the values in a histogram of 4032 indexes: z itself
 *      below 2048, z >> 5 above.  The symbol of a value depends only on its
 *      index, whatever k, so the counts give the symbol counts and the
 *      exact number of bits of the segment for every k; k is the one giving
 *      the fewest bits.
 *   2. Huffman code lengths (limited to 11 bits by halving the counts, ties
 *      broken as described at huffman_lengths), then the mode: raw when the
 *      Huffman segment cannot be smaller than 1 + 2n bytes.
 *   3. Each stream is written with a 64-bit accumulator flushed by an
 *      unconditional 8-byte store every M values, M literals fitting 56 bits
 *      (escapes flush before and after themselves).  Literal values come from
 *      a per-segment table of their bit patterns when k <= 6.  Streams are
 *      written in order, so a store that runs past the end of stream i only
 *      touches bytes that stream i+1 (or the slack of pmc_huf_bound) gets
 *      afterwards.
 *
 * Decoder
 *   A 2^11-entry table indexed by the next 11 stream bits gives, for the
 *   value they start, {base << k, mask of the w field, code length, total
 *   bits}: z = basek + ((bits >> len) & mask), without branches.  Segments
 *   of 8192 values or more also get a multi-value table: every whole value
 *   (up to three) the next 11 bits hold, stored with one 8-byte write per
 *   lookup, so the short codes of quantized data come two or three per
 *   lookup.  The four streams are decoded interleaved, 5 multi-value lookups
 *   (or, for short segments, M values, M = 57 / max(11, longest literal))
 *   per stream per 8-byte refill, while every load stays inside the
 *   segment; a group that met a value longer than a lookup can take
 *   (escapes) is decoded again value by value.  The rest is decoded by a
 *   careful path that reads a stream's own bytes only.
 *
 * Re-entrant: no mutable static state, no allocation.  Stack: about 66 KB in
 * the encoder (histogram), 33 KB in the decoder (two tables).
 */
#include "huffman.h"

#include <string.h>

#define NSYM PMC_HUF_NSYM
#define NLIT PMC_HUF_NLIT
#define MAXLEN PMC_HUF_MAXLEN
#define TBITS MAXLEN
#define TSIZE (1u << TBITS)
#define HDIRECT 2048u /* histogram: exact values below this */
#define HSIZE 4032u   /* histogram indexes */
#define HROW 4096u    /* histogram row: also holds the encoder's value table */
#define HCOPIES 4     /* histogram copies counted in turn (fewer store-to-load waits on runs of one value;
                         HIST_LOOP writes copies 0..3) */
#define SEG_HUFFMAN 0
#define SEG_CONSTANT 1
#define SEG_RAW 2
#define HDR_FIXED 15 /* mode, k, nlen and the three u32 sizes */
#define BOUND_SLACK 16

/* ------------------------------------------------------------------------ */
/* small helpers */

/* index of the most significant set bit of x (x != 0) */
static inline unsigned msb32(uint32_t x)
{
#if defined(__GNUC__)
    return 31u - (unsigned)__builtin_clz(x);
#else
    unsigned r = 0;
    while (x >>= 1)
        r++;
    return r;
#endif
}

static inline uint64_t ld64le(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return pmc_rd64(p);
#endif
}

static inline void st64le(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, sizeof v);
#else
    pmc_wr64(p, v);
#endif
}

/* the low `len` bits of `code`, reversed */
static inline uint32_t bitrev(uint32_t code, unsigned len)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < len; i++)
        r |= ((code >> i) & 1u) << (len - 1 - i);
    return r;
}

/* The symbol of z for a given k: hi = z >> k; literals are hi < 64, escapes
 * are 64 + bitlen(hi) - 7.  min(hi, 57 + bitlen(hi)) gives both at once:
 * below 64, hi <= 57 + bitlen(hi); from 64 up, 2^(nb-1) >= 57 + nb. */
static inline unsigned symbol_of(unsigned z, unsigned k)
{
    const unsigned hi = z >> k;
    const unsigned e = 58u + msb32(hi | 1u);
    return hi < e ? hi : e;
}

/* number of w bits (nextra + k) carried by symbol s */
static inline unsigned extra_bits(unsigned s, unsigned k)
{
    return (s < NLIT ? 0u : s - NLIT + 6u) + k;
}

/* base << k of symbol s (fits 16 bits for every possible symbol) */
static inline uint32_t base_of(unsigned s, unsigned k)
{
    return s < NLIT ? (uint32_t)s << k : (uint32_t)1 << (s - NLIT + 6u + k);
}

/* FORMAT.md "possible" rule */
static inline int possible(unsigned s, unsigned k)
{
    if (s < NLIT)
        return k <= 10 || s < (1u << (16 - k));
    return s - NLIT + 7u <= 16u - k;
}

/* Canonical codes (FORMAT.md): by (length, symbol), consecutive within a
 * length, shifted left when the length grows.  Lengths must satisfy Kraft. */
static void canonical_codes(const uint8_t *len, uint32_t *code)
{
    unsigned count[MAXLEN + 1] = {0};
    uint32_t next[MAXLEN + 1];
    for (unsigned s = 0; s < NSYM; s++)
        count[len[s]]++;
    count[0] = 0;
    uint32_t c = 0;
    for (unsigned l = 1; l <= MAXLEN; l++) {
        c = (c + count[l - 1]) << 1;
        next[l] = c;
    }
    for (unsigned s = 0; s < NSYM; s++)
        code[s] = len[s] ? next[len[s]]++ : 0;
}

/* ------------------------------------------------------------------------ */
/* Huffman code lengths */

/* Huffman's algorithm on the nonzero counts (at least two of them).
 *
 * Tie rule: nodes are ordered by (weight, then leaves before internal nodes,
 * then leaves by increasing symbol number and internal nodes by creation
 * order); every step merges the first two nodes in this order into a new
 * internal node.  It is run as the two-queue method: leaves sorted by
 * (count, symbol), internal nodes in creation order (their weights never
 * decrease), a leaf winning a tie against an internal node.
 * Returns the longest code length. */
static unsigned huffman_lengths(const uint64_t *cnt, uint8_t *len)
{
    unsigned leaf[NSYM];
    uint64_t w[2 * NSYM];
    unsigned parent[2 * NSYM], depth[2 * NSYM];
    unsigned m = 0;
    for (unsigned s = 0; s < NSYM; s++) {
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

/* Length-limited lengths: while the longest code exceeds 11 bits, every
 * nonzero count c becomes (c >> 1) | 1 (absent symbols stay absent). */
static void limited_lengths(const uint64_t *counts, uint8_t *len)
{
    uint64_t c[NSYM];
    memcpy(c, counts, sizeof c);
    while (huffman_lengths(c, len) > MAXLEN)
        for (unsigned s = 0; s < NSYM; s++)
            if (c[s])
                c[s] = (c[s] >> 1) | 1u;
}

/* ------------------------------------------------------------------------ */
/* encoder */

size_t pmc_huf_bound(size_t n)
{
    /* A Huffman segment is only kept when smaller than 1 + 2n bytes, and is
     * only attempted when it cannot exceed that by more than 3 bytes (see
     * pmc_huf_encode); the last 8-byte store writes at most 8 bytes past its
     * end.  A raw segment is 1 + 2n bytes, a constant one 3. */
    if (n > (SIZE_MAX - BOUND_SLACK) / 2)
        return SIZE_MAX;
    return 2 * n + BOUND_SLACK;
}

/* values of stream i when n values are split at q = ceil(n/4) */
static inline size_t stream_count(size_t n, size_t q, unsigned i)
{
    const size_t first = (size_t)i * q;
    if (first >= n)
        return 0;
    return n - first < q ? n - first : q;
}

/* Histogram index of a value: z itself below 2048, else 1984 + (z >> 5)
 * (2048..4031).  A value of 2048 or more has at least 12 significant bits,
 * so z >> 5 keeps its 7 leading ones: the symbol of a value depends only on
 * its index, whatever k. */
static inline unsigned hist_index(unsigned z) { return z < HDIRECT ? z : (HDIRECT - 64) + (z >> 5); }

/* The same index without a data-dependent branch: f = (z >= 2048). */
static inline unsigned hist_index_nb(unsigned z)
{
    const unsigned f = (z + (65536u - HDIRECT)) >> 16;
    return (z >> (f * 5u)) + f * (HDIRECT - 64);
}

/* Counts fit 32 bits since n < 2^32; four arrays cut the store-to-load
 * dependencies of runs of equal values.  The branchy index is faster when
 * the branch is predictable, i.e. when nearly all values are on the same
 * side of 2048 (as a sample says); the counts are the same either way. */
#define HIST_LOOP(INDEX)                                                                                         \
    do {                                                                                                         \
        for (; j + 4 <= n; j += 4) {                                                                             \
            H[0][INDEX(z[j])]++;                                                                                 \
            H[1][INDEX(z[j + 1])]++;                                                                             \
            H[2][INDEX(z[j + 2])]++;                                                                             \
            H[3][INDEX(z[j + 3])]++;                                                                             \
        }                                                                                                        \
        for (; j < n; j++)                                                                                       \
            H[0][INDEX(z[j])]++;                                                                                 \
    } while (0)

static void histogram(const uint16_t *z, size_t n, uint32_t (*H)[HROW])
{
    const size_t step = n / 64 + 1;
    unsigned sampled = 0, big = 0;
    for (size_t i = 0; i < n; i += step) {
        sampled++;
        big += z[i] >= HDIRECT;
    }
    size_t j = 0;
    if (big * 16 <= sampled || (sampled - big) * 16 <= sampled)
        HIST_LOOP(hist_index);
    else
        HIST_LOOP(hist_index_nb);
}

/* Writing a value.
 *  - z < lutn (literals, when the segment is long enough and k <= 6): the
 *    precomputed bits L[z] = bitrev(code) | low << len and their count LT[z];
 *  - other literals (z < litlim = 64 << k): E[z >> k];
 *  - escapes: E[symbol], between two flushes (an escape may take 26 bits, more
 *    than the group size M allows for).
 * E[s]: low 32 bits bitrev(code) - (basek << len) (mod 2^32), so that
 * (E + (z << len)) mod 2^32 = bitrev(code) | (w << len); bits 32..39 the
 * code length; bits 40..47 the total bits of the value. */
#define ENC_E(e_, zz)                                                                                            \
    do {                                                                                                         \
        b_ = (uint32_t)((e_) + ((uint64_t)(zz) << (((e_) >> 32) & 63u)));                                        \
        t_ = (unsigned)((e_) >> 40);                                                                             \
    } while (0)

#define ENC1(zv)                                                                                                 \
    do {                                                                                                         \
        const unsigned z_ = (zv);                                                                                \
        uint64_t b_;                                                                                             \
        unsigned t_;                                                                                             \
        if (z_ < lutn) {                                                                                         \
            b_ = L[z_];                                                                                          \
            t_ = LT[z_];                                                                                         \
        } else if (z_ < litlim) {                                                                                \
            const uint64_t e_ = E[z_ >> k];                                                                      \
            ENC_E(e_, z_);                                                                                       \
        } else {                                                                                                 \
            const uint64_t e_ = E[symbol_of(z_, k)];                                                             \
            ENC_E(e_, z_);                                                                                       \
            FLUSH();                                                                                             \
            acc |= b_ << nacc;                                                                                   \
            nacc += t_;                                                                                          \
            FLUSH();                                                                                             \
            break; /* out of the do-while: the value is written */                                               \
        }                                                                                                        \
        acc |= b_ << nacc;                                                                                       \
        nacc += t_;                                                                                              \
    } while (0)

#define FLUSH()                                                                                                  \
    do {                                                                                                         \
        st64le(p, acc);                                                                                          \
        p += nacc >> 3;                                                                                          \
        acc >>= nacc & 56u;                                                                                      \
        nacc &= 7u;                                                                                              \
    } while (0)

/* Writes cnt values as one bit stream at p, flushing every M values (M
 * literals plus 7 pending bits fit 63 bits).  Returns the end. */
#define DEFINE_ENC_STREAM(M)                                                                                     \
    static uint8_t *enc_stream_##M(const uint16_t *z, size_t cnt, uint8_t *p, const uint32_t *L, const uint8_t *LT, \
                                   unsigned lutn, unsigned litlim, const uint64_t *E, unsigned k)                               \
    {                                                                                                            \
        uint64_t acc = 0;                                                                                        \
        unsigned nacc = 0;                                                                                       \
        size_t j = 0;                                                                                            \
        if (!cnt)                                                                                                \
            return p;                                                                                            \
        for (; j + (M) <= cnt; j += (M)) {                                                                       \
            ENC1(z[j]);                                                                                          \
            ENC1(z[j + 1]);                                                                                      \
            if ((M) > 2)                                                                                         \
                ENC1(z[j + 2]);                                                                                  \
            if ((M) > 3)                                                                                         \
                ENC1(z[j + 3]);                                                                                  \
            if ((M) > 4)                                                                                         \
                ENC1(z[j + 4]);                                                                                  \
            FLUSH();                                                                                             \
        }                                                                                                        \
        for (; j < cnt; j++) /* fewer than M values: no flush needed */                                        \
            ENC1(z[j]);                                                                                          \
        st64le(p, acc);                                                                                          \
        return p + ((nacc + 7) >> 3);                                                                            \
    }

DEFINE_ENC_STREAM(2)
DEFINE_ENC_STREAM(3)
DEFINE_ENC_STREAM(4)
DEFINE_ENC_STREAM(5)

static int write_raw(const uint16_t *z, size_t n, uint8_t *dst, size_t *written)
{
    dst[0] = SEG_RAW;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst + 1, z, n * sizeof(uint16_t));
#else
    for (size_t i = 0; i < n; i++)
        pmc_wr16(dst + 1 + 2 * i, z[i]);
#endif
    *written = 1 + 2 * n;
    return PMC_OK;
}

static int write_constant(uint16_t v, uint8_t *dst, size_t *written)
{
    dst[0] = SEG_CONSTANT;
    pmc_wr16(dst + 1, v);
    *written = 3;
    return PMC_OK;
}

/* Symbol counts (tk), code lengths (lk) and the size in bits of a segment
 * coded with a given k: codes, w fields and the code-length table.  P holds
 * the prefix sums of the histogram (see pmc_huf_encode).  With limit 0 the
 * lengths are plain Huffman lengths, not limited to 11 bits (a cheaper
 * estimate of the size, exact when they do not exceed 11 bits). */
static uint64_t size_for_k(const uint32_t *P, unsigned k, uint64_t *tk, uint8_t *lk, int limit)
{
    unsigned used = 0, only = 0;
    for (unsigned s = 0; s < NSYM; s++) {
        tk[s] = 0;
        if (!possible(s, k))
            continue;
        const uint32_t lo = base_of(s, k), hi = lo + (1u << extra_bits(s, k)); /* its values: [lo, hi) */
        tk[s] = P[hi > 65535u ? HSIZE : hist_index(hi)] - P[hist_index(lo)];
        if (tk[s]) {
            used++;
            only = s;
        }
    }
    if (used == 1) {
        /* one symbol, several values: pair it with the lowest-numbered unused
         * possible symbol (0, or 1 when 0 is the one used; both are possible
         * for every k <= 15), both of length 1 */
        memset(lk, 0, NSYM);
        lk[only] = 1;
        lk[only == 0 ? 1 : 0] = 1;
    } else if (limit) {
        limited_lengths(tk, lk);
    } else {
        huffman_lengths(tk, lk);
    }
    uint64_t bits = 0;
    unsigned nlen = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (lk[s]) {
            nlen = s + 1;
            bits += tk[s] * (lk[s] + extra_bits(s, k));
        }
    return bits + 8u * ((nlen + 1) / 2);
}

int pmc_huf_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written)
{
    if (!dst || !written || (n && !z))
        return PMC_E_PARAM;
    if (n > (SIZE_MAX - BOUND_SLACK) / 2)
        return PMC_E_PARAM;
    if (cap < pmc_huf_bound(n))
        return PMC_E_OUTPUT;
    if (n == 0)
        return write_constant(0, dst, written);
    /* The stream sizes are u32 and the counts below 32-bit: a segment of more
     * than 2^32 - 1 values is stored raw (the container never makes one). */
    if ((uint64_t)n > UINT32_MAX)
        return write_raw(z, n, dst, written);

    /* the histogram; its memory is reused for the value tables L, LT below */
    uint32_t H[HCOPIES][HROW];
    memset(H, 0, sizeof H);
    histogram(z, n, H);

    /* index totals, and the constant test */
    unsigned nidx = 0, lastidx = 0;
    for (unsigned i = 0; i < HSIZE; i++) {
        uint32_t c = H[0][i];
        for (unsigned h = 1; h < HCOPIES; h++)
            c += H[h][i];
        H[0][i] = c;
        if (!c)
            continue;
        nidx++;
        lastidx = i;
    }
    if (nidx == 1) {
        int equal = 1;
        if (lastidx >= HDIRECT) /* several values share the index: look */
            for (size_t i = 1; i < n && equal; i++)
                equal = z[i] == z[0];
        if (equal)
            return write_constant(z[0], dst, written);
    }

    /* k: a local minimum of the segment's bits (Huffman codes, w fields and
     * the code-length table; estimated with lengths not limited to 11 bits),
     * searched from the smallest k with at most n/32
     * values z >= 64 << k (k0): down from k0 while the size shrinks, else up
     * from k0 while it shrinks.  Every symbol's values form a range
     * [base << k, next base << k) whose ends are multiples of 32 from 2048
     * up, i.e. histogram index boundaries: prefix sums of the histogram give
     * its count. */
    uint32_t *const P = H[1]; /* P[i] = count of indexes < i, i = 0..HSIZE */
    P[0] = 0;
    for (unsigned i = 0; i < HSIZE; i++)
        P[i + 1] = P[i] + H[0][i];
    unsigned k0 = 0;
    while (k0 < 10 && (uint64_t)(P[HSIZE] - P[hist_index(64u << k0)]) * 32 > (uint64_t)n)
        k0++;
    uint64_t total[NSYM];
    uint8_t len[NSYM];
    unsigned k = k0;
    uint64_t best = size_for_k(P, k0, total, len, 0);
    for (int dir = -1; dir <= 1; dir += 2) {
        for (unsigned kk = k0 + (unsigned)dir; kk <= 15; kk += (unsigned)dir) { /* kk = -1 wraps above 15 */
            const uint64_t b = size_for_k(P, kk, total, len, 0);
            if (b >= best)
                break;
            best = b;
            k = kk;
        }
        if (k != k0)
            break;
    }
    size_for_k(P, k, total, len, 1);

    /* Size: the streams take sum(ceil(bits_i / 8)) bytes, between ceil(bits / 8)
     * and that + 3.  When even the smaller figure is not below 1 + 2n the
     * segment is raw; otherwise it is written and compared afterwards (it ends
     * at most 3 bytes past 1 + 2n, well inside the bound). */
    unsigned nlen = 0, maxlit = 0;
    uint64_t bits = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (len[s]) {
            nlen = s + 1;
            const unsigned t = len[s] + extra_bits(s, k);
            bits += total[s] * t;
            if (total[s] && s < NLIT && t > maxlit)
                maxlit = t;
        }
    const size_t tbytes = (nlen + 1) / 2;
    if (HDR_FIXED + tbytes + (bits + 7) / 8 >= 1 + 2 * (uint64_t)n)
        return write_raw(z, n, dst, written);

    /* header; stream sizes filled in below */
    dst[0] = SEG_HUFFMAN;
    dst[1] = (uint8_t)k;
    dst[2] = (uint8_t)nlen;
    for (size_t b = 0; b < tbytes; b++) {
        const unsigned lo = len[2 * b], hi = 2 * b + 1 < nlen ? len[2 * b + 1] : 0;
        dst[3 + b] = (uint8_t)(lo | (hi << 4));
    }
    uint8_t *const sizes = dst + 3 + tbytes;
    uint8_t *p = sizes + 12;

    /* tables */
    uint32_t code[NSYM];
    uint64_t E[NSYM];
    canonical_codes(len, code);
    for (unsigned s = 0; s < NSYM; s++) {
        code[s] = len[s] ? bitrev(code[s], len[s]) : 0;
        const uint32_t add = code[s] - (base_of(s, k) << len[s]);
        E[s] = (uint64_t)add | ((uint64_t)len[s] << 32) | ((uint64_t)(len[s] + extra_bits(s, k)) << 40);
    }
    /* L: literal values (z < 64 << k) when k <= 6 and the segment is long
     * enough to repay building it */
    const unsigned litlim = 64u << k;
    const unsigned lutn = (k <= 6 && (uint64_t)litlim * 4 <= n) ? litlim : 0;
    uint32_t *const L = H[0];
    uint8_t *const LT = (uint8_t *)H[1];
    {
        const unsigned kmask = (1u << k) - 1;
        for (unsigned v = 0; v < lutn; v++) {
            const unsigned s = v >> k;
            L[v] = code[s] | ((v & kmask) << len[s]);
            LT[v] = (uint8_t)(len[s] + k);
        }
    }

    /* streams, in order (see the note at the top of the file) */
    const size_t q = n / 4 + (n % 4 != 0);
    const unsigned M = maxlit ? 56 / maxlit : 5;
    for (unsigned i = 0; i < 4; i++) {
        const uint16_t *zi = z + (size_t)i * q;
        const size_t cnt = stream_count(n, q, i);
        uint8_t *const start = p;
        if (M >= 5)
            p = enc_stream_5(zi, cnt, p, L, LT, lutn, litlim, E, k);
        else if (M == 4)
            p = enc_stream_4(zi, cnt, p, L, LT, lutn, litlim, E, k);
        else if (M == 3)
            p = enc_stream_3(zi, cnt, p, L, LT, lutn, litlim, E, k);
        else
            p = enc_stream_2(zi, cnt, p, L, LT, lutn, litlim, E, k);
        if (i < 3)
            pmc_wr32(sizes + 4 * i, (uint32_t)(p - start));
    }
    const size_t w = (size_t)(p - dst);
    if (w >= 1 + 2 * n)
        return write_raw(z, n, dst, written);
    *written = w;
    return PMC_OK;
}

/* ------------------------------------------------------------------------ */
/* decoder */

/* Decoder table entry, for the symbol whose code is a prefix of the index */
typedef struct {
    uint16_t basek; /* base << k */
    uint16_t mask;  /* mask of the w field: 2^(nextra + k) - 1 */
    uint8_t len;    /* code length */
    uint8_t total;  /* code length + nextra + k */
    uint8_t unz;    /* 1: the decoder outputs unzigzag(z), 0: z (same in every entry) */
    uint8_t pad;
} dentry;

/* z, or unzigzag(z) when u = 1, without a branch */
static inline uint16_t unz_apply(uint32_t v, unsigned u) { return (uint16_t)((v >> u) ^ (0u - (v & u))); }

/* one value from the bit buffer `buf` (needs max(11, total) valid bits) */
#define DEC1(buf, used, dst)                                                                                     \
    do {                                                                                                         \
        const dentry *e_ = &T[(buf) & (TSIZE - 1)];                                                              \
        (dst) = unz_apply(e_->basek + (((buf) >> e_->len) & e_->mask), e_->unz);                                  \
        (buf) >>= e_->total;                                                                                     \
        (used) += e_->total;                                                                                     \
    } while (0)

typedef struct {
    const uint8_t *p; /* first byte of the stream */
    size_t size;      /* its byte size */
    size_t lim;       /* largest byte offset from p where an 8-byte load stays in the segment */
    int fast;         /* lim is meaningful (at least 8 bytes from p to the segment end) */
    size_t pos;       /* bits consumed */
    uint16_t *out;    /* its values */
    size_t cnt;       /* how many */
    size_t done;      /* how many decoded */
} bitstream;

/* A refill is an 8-byte load shifted by pos & 7: at least 57 valid bits
 * (zeros above).  A group of values decoded from one refill is right when
 * the last one started at most 46 bits in (its 11-bit peek was valid) and
 * all of them ended within 57 bits: an earlier value read from beyond the
 * valid bits would have pushed one of these two figures over, since every
 * value takes at least one bit. */
#define GROUP_OK(before_last, used) ((before_last) <= 46 && (used) <= 57)

/* Decodes m values with one refill each, as long as the loads stay inside
 * the segment; 0 when one would not. */
static int dec_group_slow(const dentry *T, const uint8_t *b, size_t pos, size_t lim, uint16_t *o, unsigned m,
                          size_t *used)
{
    size_t u = 0;
    for (unsigned r = 0; r < m; r++) {
        const size_t at = pos + u;
        if ((at >> 3) > lim)
            return 0;
        uint64_t x = ld64le(b + (at >> 3)) >> (at & 7);
        DEC1(x, u, o[r]);
    }
    *used = u;
    return 1;
}

#define DEC_ROUND(r)                                                                                             \
    do {                                                                                                         \
        DEC1(x0, u0, o0[j + (r)]);                                                                               \
        DEC1(x1, u1, o1[j + (r)]);                                                                               \
        DEC1(x2, u2, o2[j + (r)]);                                                                               \
        DEC1(x3, u3, o3[j + (r)]);                                                                               \
    } while (0)

#define DEC_REDO(i, m)                                                                                            \
    if (!GROUP_OK(v##i, u##i) && !dec_group_slow(T, b##i, p##i, l##i, o##i + j, (m), &u##i))                     \
    break

/* Four streams interleaved, M values per stream per refill (M values of the
 * longest literal fit the refill), while all four loads stay inside the
 * segment and every stream has M more values.  A group that needed more bits
 * (escapes) is decoded again with a refill per value. */
#define DEFINE_DEC4(M)                                                                                           \
    static void dec4_##M(const dentry *T, bitstream *S, size_t jmax)                                             \
    {                                                                                                            \
        const uint8_t *b0 = S[0].p, *b1 = S[1].p, *b2 = S[2].p, *b3 = S[3].p;                                    \
        uint16_t *o0 = S[0].out, *o1 = S[1].out, *o2 = S[2].out, *o3 = S[3].out;                                 \
        const size_t l0 = S[0].lim, l1 = S[1].lim, l2 = S[2].lim, l3 = S[3].lim;                                 \
        size_t p0 = S[0].pos, p1 = S[1].pos, p2 = S[2].pos, p3 = S[3].pos;                                       \
        size_t j = 0;                                                                                            \
        for (; j + (M) <= jmax; j += (M)) {                                                                      \
            if (((p0 >> 3) > l0) | ((p1 >> 3) > l1) | ((p2 >> 3) > l2) | ((p3 >> 3) > l3))                       \
                break;                                                                                           \
            uint64_t x0 = ld64le(b0 + (p0 >> 3)) >> (p0 & 7);                                                    \
            uint64_t x1 = ld64le(b1 + (p1 >> 3)) >> (p1 & 7);                                                    \
            uint64_t x2 = ld64le(b2 + (p2 >> 3)) >> (p2 & 7);                                                    \
            uint64_t x3 = ld64le(b3 + (p3 >> 3)) >> (p3 & 7);                                                    \
            size_t u0 = 0, u1 = 0, u2 = 0, u3 = 0;                                                               \
            if ((M) > 1)                                                                                         \
                DEC_ROUND(0);                                                                                    \
            if ((M) > 2)                                                                                         \
                DEC_ROUND(1);                                                                                    \
            if ((M) > 3)                                                                                         \
                DEC_ROUND(2);                                                                                    \
            if ((M) > 4)                                                                                         \
                DEC_ROUND(3);                                                                                    \
            const size_t v0 = u0, v1 = u1, v2 = u2, v3 = u3;                                                     \
            DEC_ROUND((M) - 1);                                                                                  \
            if (!(GROUP_OK(v0, u0) & GROUP_OK(v1, u1) & GROUP_OK(v2, u2) & GROUP_OK(v3, u3))) {                 \
                DEC_REDO(0, M);                                                                                     \
                DEC_REDO(1, M);                                                                                     \
                DEC_REDO(2, M);                                                                                     \
                DEC_REDO(3, M);                                                                                     \
            }                                                                                                    \
            p0 += u0;                                                                                            \
            p1 += u1;                                                                                            \
            p2 += u2;                                                                                            \
            p3 += u3;                                                                                            \
        }                                                                                                        \
        S[0].pos = p0;                                                                                           \
        S[1].pos = p1;                                                                                           \
        S[2].pos = p2;                                                                                           \
        S[3].pos = p3;                                                                                           \
        for (int i = 0; i < 4; i++)                                                                              \
            S[i].done = j;                                                                                       \
    }

DEFINE_DEC4(2)
DEFINE_DEC4(3)
DEFINE_DEC4(4)
DEFINE_DEC4(5)

/* Multi-value table: for the next 11 stream bits, every whole value they
 * hold, up to three: n values v[0..n), `bits` bits in all (at most 11).
 * When the first value does not fit 11 bits, n = 0 and bits = 64: a
 * shift by `bits & 63` leaves the buffer as it is, and the 64 added to the
 * group's bit count marks the group for decoding again value by value. */
typedef struct {
    uint16_t v[3];
    uint8_t n;
    uint8_t bits;
} mentry;

#define MULTI_MAX 3
#define MULTI_MIN 8192 /* values in a segment that repay building the table */
#define MULTI_LOOKUPS 5 /* 5 lookups of at most 11 bits peek within the 57 valid bits of a refill */
#define MULTI_ROOM (MULTI_LOOKUPS * MULTI_MAX + 1) /* + 1: each lookup stores 4 values */

static void build_multi(const dentry *T, mentry *M)
{
    for (uint32_t i = 0; i < TSIZE; i++) {
        mentry m = {{0, 0, 0}, 0, 0};
        unsigned bits = 0;
        while (m.n < MULTI_MAX) {
            const dentry *e = &T[(i >> bits) & (TSIZE - 1)];
            if (e->total > TBITS - bits)
                break;
            m.v[m.n++] = unz_apply(e->basek + ((i >> (bits + e->len)) & e->mask), e->unz);
            bits += e->total;
        }
        m.bits = (uint8_t)(m.n ? bits : 64);
        M[i] = m;
    }
}

/* one lookup of stream i: stores 4 values (the 4th is scratch, overwritten
 * later or inside the room checked for), keeps n of them */
#define MLOOK(i)                                                                                                 \
    do {                                                                                                         \
        const mentry *m_ = &M[x##i & (TSIZE - 1)];                                                               \
        memcpy(o##i, m_, sizeof *m_);                                                                            \
        o##i += m_->n;                                                                                           \
        x##i >>= m_->bits & 63u;                                                                                 \
        u##i += m_->bits;                                                                                        \
    } while (0)

#define MROUND()                                                                                                 \
    do {                                                                                                         \
        MLOOK(0);                                                                                                \
        MLOOK(1);                                                                                                \
        MLOOK(2);                                                                                                \
        MLOOK(3);                                                                                                \
    } while (0)

/* a group of stream i that met a value longer than the table's 11 bits:
 * MULTI_LOOKUPS values again from the group's start, one refill each; if a
 * load would leave the segment, the group is undone and the loop stops */
#define MREDO(i)                                                                                                 \
    if (u##i > MULTI_LOOKUPS * TBITS) {                                                                          \
        size_t w_;                                                                                               \
        o##i = s##i;                                                                                             \
        if (dec_group_slow(T, b##i, p##i, l##i, o##i, MULTI_LOOKUPS, &w_)) {                                     \
            o##i += MULTI_LOOKUPS;                                                                               \
            u##i = w_;                                                                                           \
        } else {                                                                                                 \
            u##i = 0;                                                                                            \
            stop = 1;                                                                                            \
        }                                                                                                        \
    }

/* Four streams interleaved, MULTI_LOOKUPS table lookups per stream per
 * refill, while all four loads stay inside the segment and every stream
 * has room for the most values a group can give. */
static void dec4_multi(const dentry *T, const mentry *M, bitstream *S)
{
    const uint8_t *b0 = S[0].p, *b1 = S[1].p, *b2 = S[2].p, *b3 = S[3].p;
    uint16_t *o0 = S[0].out + S[0].done, *o1 = S[1].out + S[1].done, *o2 = S[2].out + S[2].done,
             *o3 = S[3].out + S[3].done;
    const uint16_t *e0 = S[0].out + S[0].cnt, *e1 = S[1].out + S[1].cnt, *e2 = S[2].out + S[2].cnt,
                   *e3 = S[3].out + S[3].cnt;
    const size_t l0 = S[0].lim, l1 = S[1].lim, l2 = S[2].lim, l3 = S[3].lim;
    size_t p0 = S[0].pos, p1 = S[1].pos, p2 = S[2].pos, p3 = S[3].pos;
    int stop = 0;
    while (!stop) {
        if (((size_t)(e0 - o0) < MULTI_ROOM) | ((size_t)(e1 - o1) < MULTI_ROOM) | ((size_t)(e2 - o2) < MULTI_ROOM) |
            ((size_t)(e3 - o3) < MULTI_ROOM))
            break;
        if (((p0 >> 3) > l0) | ((p1 >> 3) > l1) | ((p2 >> 3) > l2) | ((p3 >> 3) > l3))
            break;
        uint64_t x0 = ld64le(b0 + (p0 >> 3)) >> (p0 & 7);
        uint64_t x1 = ld64le(b1 + (p1 >> 3)) >> (p1 & 7);
        uint64_t x2 = ld64le(b2 + (p2 >> 3)) >> (p2 & 7);
        uint64_t x3 = ld64le(b3 + (p3 >> 3)) >> (p3 & 7);
        uint16_t *const s0 = o0, *const s1 = o1, *const s2 = o2, *const s3 = o3;
        size_t u0 = 0, u1 = 0, u2 = 0, u3 = 0;
        MROUND();
        MROUND();
        MROUND();
        MROUND();
        MROUND();
        if ((u0 > MULTI_LOOKUPS * TBITS) | (u1 > MULTI_LOOKUPS * TBITS) | (u2 > MULTI_LOOKUPS * TBITS) |
            (u3 > MULTI_LOOKUPS * TBITS)) {
            MREDO(0);
            MREDO(1);
            MREDO(2);
            MREDO(3);
        }
        p0 += u0;
        p1 += u1;
        p2 += u2;
        p3 += u3;
    }
    S[0].pos = p0;
    S[1].pos = p1;
    S[2].pos = p2;
    S[3].pos = p3;
    S[0].done = (size_t)(o0 - S[0].out);
    S[1].done = (size_t)(o1 - S[1].out);
    S[2].done = (size_t)(o2 - S[2].out);
    S[3].done = (size_t)(o3 - S[3].out);
}

/* The rest of one stream: two values per load while the load stays inside
 * the segment, then one value at a time from the stream's own bytes only. */
static int dec_finish(const dentry *T, bitstream *s)
{
    const uint8_t *b = s->p;
    uint16_t *o = s->out;
    size_t pos = s->pos, j = s->done;
    if (s->fast)
        for (; j + 2 <= s->cnt && (pos >> 3) <= s->lim; j += 2) {
            uint64_t x = ld64le(b + (pos >> 3)) >> (pos & 7);
            size_t u = 0;
            DEC1(x, u, o[j]);
            DEC1(x, u, o[j + 1]);
            pos += u;
        }
    const size_t size = s->size;
    for (; j < s->cnt; j++) {
        /* pos <= 8 * size holds here unless the fast path overran the stream */
        const size_t byte = pos >> 3;
        if (byte > size || (byte == size && (pos & 7)))
            return PMC_E_TRUNCATED;
        const size_t left = size * 8 - pos;
        uint64_t x = 0;
        for (size_t i = 0; i < 8 && byte + i < size; i++)
            x |= (uint64_t)b[byte + i] << (8 * i);
        x >>= pos & 7;
        const dentry *e = &T[x & (TSIZE - 1)];
        if (e->total > left)
            return PMC_E_TRUNCATED;
        o[j] = unz_apply(e->basek + ((x >> e->len) & e->mask), e->unz);
        pos += e->total;
    }
    s->pos = pos;
    s->done = j;

    /* end of the stream: all bits present, no whole unused byte, zero padding */
    const size_t byte = pos >> 3;
    if (byte > size || (byte == size && (pos & 7)))
        return PMC_E_TRUNCATED;
    const size_t used = byte + ((pos & 7) != 0);
    if (used < size)
        return PMC_E_CORRUPT;
    if ((pos & 7) && (b[size - 1] >> (pos & 7)) != 0)
        return PMC_E_CORRUPT;
    return PMC_OK;
}

static int decode_huffman(const uint8_t *src, size_t len, uint16_t *z, size_t n, unsigned unz)
{
    if (len < 2)
        return PMC_E_TRUNCATED;
    const unsigned k = src[1];
    if (k > 15)
        return PMC_E_CORRUPT;
    if (len < 3)
        return PMC_E_TRUNCATED;
    const unsigned nlen = src[2];
    if (nlen < 1 || nlen > NSYM)
        return PMC_E_CORRUPT;
    const size_t tbytes = (nlen + 1) / 2;
    if (len - 3 < tbytes)
        return PMC_E_TRUNCATED;

    /* code-length table */
    uint8_t cl[NSYM];
    memset(cl, 0, sizeof cl);
    for (unsigned s = 0; s < nlen; s++) {
        const unsigned l = (src[3 + s / 2] >> (4 * (s & 1))) & 15u;
        if (l > MAXLEN || (l && !possible(s, k)))
            return PMC_E_TABLE;
        cl[s] = (uint8_t)l;
    }
    if ((nlen & 1) && (src[3 + nlen / 2] >> 4) != 0)
        return PMC_E_CORRUPT;
    unsigned present = 0, maxlit = 0, maxtotal = 0;
    uint32_t kraft = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (cl[s]) {
            const unsigned t = cl[s] + extra_bits(s, k);
            present++;
            kraft += 1u << (MAXLEN - cl[s]);
            maxtotal = t > maxtotal ? t : maxtotal;
            if (s < NLIT)
                maxlit = t > maxlit ? t : maxlit;
        }
    if (!maxlit) /* escapes only: size the groups for them */
        maxlit = maxtotal;
    if (present < 2 || kraft != TSIZE)
        return PMC_E_TABLE;

    /* stream sizes */
    const size_t hdr = HDR_FIXED + tbytes;
    if (len < hdr)
        return PMC_E_TRUNCATED;
    size_t size[4], off[4], rest = len - hdr, o = hdr;
    for (unsigned i = 0; i < 3; i++) {
        size[i] = pmc_rd32(src + 3 + tbytes + 4 * i);
        if (size[i] > rest)
            return PMC_E_TRUNCATED;
        rest -= size[i];
    }
    size[3] = rest;
    for (unsigned i = 0; i < 4; i++) {
        off[i] = o;
        o += size[i];
    }

    /* decoding table */
    dentry T[TSIZE];
    uint32_t code[NSYM];
    canonical_codes(cl, code);
    for (unsigned s = 0; s < NSYM; s++) {
        if (!cl[s])
            continue;
        const unsigned xb = extra_bits(s, k);
        dentry e;
        e.basek = (uint16_t)base_of(s, k);
        e.mask = (uint16_t)((1u << xb) - 1u);
        e.len = cl[s];
        e.total = (uint8_t)(cl[s] + xb);
        e.unz = (uint8_t)unz;
        e.pad = 0;
        for (uint32_t i = bitrev(code[s], cl[s]); i < TSIZE; i += 1u << cl[s])
            T[i] = e;
    }

    const size_t q = n / 4 + (n % 4 != 0);
    bitstream S[4];
    int allfast = 1;
    for (unsigned i = 0; i < 4; i++) {
        S[i].p = src + off[i];
        S[i].size = size[i];
        S[i].fast = len - off[i] >= 8;
        S[i].lim = S[i].fast ? len - off[i] - 8 : 0;
        allfast &= S[i].fast;
        S[i].pos = 0;
        S[i].out = z + (size_t)i * q;
        S[i].cnt = stream_count(n, q, i);
        S[i].done = 0;
    }
    if (allfast && n >= MULTI_MIN) {
        mentry M[TSIZE];
        build_multi(T, M);
        dec4_multi(T, M, S);
    } else if (allfast && S[3].cnt) {
        const unsigned m = 57 / (maxlit > MAXLEN ? maxlit : MAXLEN);
        if (m >= 5)
            dec4_5(T, S, S[3].cnt);
        else if (m == 4)
            dec4_4(T, S, S[3].cnt);
        else if (m == 3)
            dec4_3(T, S, S[3].cnt);
        else
            dec4_2(T, S, S[3].cnt);
    }
    for (unsigned i = 0; i < 4; i++) {
        const int rc = dec_finish(T, &S[i]);
        if (rc != PMC_OK)
            return rc;
    }
    return PMC_OK;
}

static int huf_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n, unsigned unz)
{
    if ((len && !src) || (n && !z))
        return PMC_E_PARAM;
    /* bit positions are size_t: keep 8 * len representable */
    if (len > SIZE_MAX / 8)
        return PMC_E_PARAM;
    if (len < 1)
        return PMC_E_TRUNCATED;
    const unsigned mode = src[0];
    if (mode == SEG_CONSTANT) {
        if (len < 3)
            return PMC_E_TRUNCATED;
        if (len > 3)
            return PMC_E_CORRUPT;
        const uint16_t v = unz_apply(pmc_rd16(src + 1), unz);
        for (size_t i = 0; i < n; i++)
            z[i] = v;
        return PMC_OK;
    }
    if (mode != SEG_HUFFMAN && mode != SEG_RAW)
        return PMC_E_CORRUPT;
    /* segments hold n >= 1 values; for n == 0 only a constant one is accepted */
    if (n == 0)
        return PMC_E_CORRUPT;
    if (mode == SEG_RAW) {
        if ((len - 1) / 2 < n) /* len < 1 + 2n, without overflow */
            return PMC_E_TRUNCATED;
        if (len - 1 != 2 * n)
            return PMC_E_CORRUPT;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(z, src + 1, n * sizeof(uint16_t));
#else
        for (size_t i = 0; i < n; i++)
            z[i] = pmc_rd16(src + 1 + 2 * i);
#endif
        if (unz)
            for (size_t i = 0; i < n; i++)
                z[i] = pmc_unzigzag(z[i]);
        return PMC_OK;
    }
    return decode_huffman(src, len, z, n, unz);
}

int pmc_huf_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n) { return huf_decode(src, len, z, n, 0); }

int pmc_huf_decode_deltas(const uint8_t *src, size_t len, uint16_t *d, size_t n)
{
    return huf_decode(src, len, d, n, 1);
}
