/* legacy.c - the Huffman bit stream of the original pymecompress / BCL
 * (docs/FORMAT.md, "Legacy formats").
 *
 * Stream: the code tree as a pre-order walk (internal node: bit 0, then its
 * first and second subtree; leaf: bit 1, then the 8-bit symbol), directly
 * followed by one code per symbol (bit 0 = first child, 1 = second child),
 * then zero bits up to a byte boundary.  Bits are MSB first.  A tree that is
 * a single leaf still spends one 0 bit per symbol.
 *
 * Encoder
 *   Histogram, Huffman code lengths (huffman_lengths.c, shared with the
 *   segment coder; limited to MAXLEN (24) bits by halving the counts),
 *   canonical codes, and the tree implied by the canonical codes:
 *   its pre-order walk visits the leaves in code order, so leaf i is preceded
 *   by one 0 bit per internal node on its path not shared with leaf i-1.
 *   Codes are written through a 64-bit accumulator flushed 32 bits at a time;
 *   the exact output size is computed first and checked against cap.
 *
 * Decoder
 *   The tree is parsed iteratively into a node array (at most 511 nodes,
 *   every symbol at most once), then walked to fill a 2^11-entry table
 *   indexed by the next 11 bits: a leaf within 11 bits gives {symbol,
 *   length}; otherwise the entry names the internal node at depth 11 from
 *   which the decoder walks the tree bit by bit.  A second table gives, for
 *   the same 11 bits, the one or two whole codes they start with, so the
 *   fast loop decodes up to ten symbols per 8-byte refill.  Bits come from a
 *   left-aligned 64-bit buffer refilled 8 bytes at a time while 8 bytes
 *   remain and byte by byte after that; bits past the end of the input read
 *   as zero but are never counted as available, so every code is checked to
 *   lie inside the input.
 *
 * Re-entrant: no mutable static state, no allocation.  Stack: about 16 KB in
 * the encoder and in the decoder.
 */
#include "huffman_lengths.h"

#include <string.h>

#define MAXNODES 511 /* a tree over 256 byte values has at most 511 nodes */
#define MAXLEN 24     /* longest code the encoder writes, bits */
#define TBITS 11
#define TSIZE (1u << TBITS)
#define E_LONG 0x8000u /* table entry: code longer than TBITS, low bits = node */
#define NO_CHILD 0xFFFFu

/* ------------------------------------------------------------------------ */
/* encoder */

size_t pmc_legacy_huf_bound(size_t n)
{
    /* tree: at most 511 structure bits + 256 * 8 symbol bits = 320 bytes;
     * codes: at most MAXLEN = 24 bits = 3 bytes per symbol */
    if (n == 0)
        return 0;
    if (n > (SIZE_MAX - 321) / 3)
        return SIZE_MAX;
    return 321 + 3 * n;
}

static inline unsigned bit_length(uint32_t x)
{
#if defined(__GNUC__)
    return x ? 32u - (unsigned)__builtin_clz(x) : 0u;
#else
    unsigned r = 0;
    while (x) {
        r++;
        x >>= 1;
    }
    return r;
#endif
}

/* appends the low `n` bits of `v` (n <= 32) to the accumulator; flushes
 * whole 32-bit words */
typedef struct {
    uint64_t acc;
    unsigned nb; /* pending bits, < 32 between calls */
    uint8_t *p;
} bitwriter;

static inline void put_bits(bitwriter *w, uint32_t v, unsigned n)
{
    w->acc = (w->acc << n) | v;
    w->nb += n;
    if (w->nb >= 32) {
        w->nb -= 32;
        uint32_t word = (uint32_t)(w->acc >> w->nb);
        w->p[0] = (uint8_t)(word >> 24);
        w->p[1] = (uint8_t)(word >> 16);
        w->p[2] = (uint8_t)(word >> 8);
        w->p[3] = (uint8_t)word;
        w->p += 4;
    }
}

static inline void flush_bits(bitwriter *w)
{
    while (w->nb >= 8) {
        w->nb -= 8;
        *w->p++ = (uint8_t)(w->acc >> w->nb);
    }
    if (w->nb)
        *w->p++ = (uint8_t)(w->acc << (8 - w->nb));
    w->nb = 0;
}

static void histogram(const uint8_t *src, size_t n, uint64_t *cnt)
{
    uint32_t h[4][256];
    memset(h, 0, sizeof h);
    memset(cnt, 0, 256 * sizeof *cnt);
    size_t i = 0;
    while (i < n) {
        /* blocks small enough that no 32-bit counter overflows */
        size_t end = n - i > ((size_t)1 << 30) ? i + ((size_t)1 << 30) : n;
        for (; i + 4 <= end; i += 4) {
            h[0][src[i]]++;
            h[1][src[i + 1]]++;
            h[2][src[i + 2]]++;
            h[3][src[i + 3]]++;
        }
        for (; i < end; i++)
            h[0][src[i]]++;
        for (unsigned s = 0; s < 256; s++) {
            cnt[s] += (uint64_t)h[0][s] + h[1][s] + h[2][s] + h[3][s];
            h[0][s] = h[1][s] = h[2][s] = h[3][s] = 0;
        }
    }
}

int pmc_legacy_huf_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *written)
{
    uint64_t cnt[256];
    uint8_t len[256];
    uint32_t code[256];
    unsigned nsym = 0, last = 0;

    if (!written || (n && (!src || !dst)))
        return PMC_E_PARAM;
    *written = 0;
    if (n == 0)
        return PMC_OK;
    histogram(src, n, cnt);
    for (unsigned s = 0; s < 256; s++)
        if (cnt[s]) {
            nsym++;
            last = s;
        }

    if (nsym == 1) {
        /* a lone leaf, then one 0 bit per symbol */
        if (n > SIZE_MAX - 16)
            return PMC_E_OUTPUT;
        size_t total = (9 + n + 7) / 8;
        if (total > cap)
            return PMC_E_OUTPUT;
        memset(dst, 0, total);
        dst[0] = (uint8_t)(0x80u | (last >> 1));
        dst[1] = (uint8_t)((last & 1u) << 7);
        *written = total;
        return PMC_OK;
    }

    pmc_huf_limited_lengths(cnt, 256, MAXLEN, len);

    /* canonical order: by (length, symbol) */
    unsigned order[256], k = 0;
    for (unsigned l = 1; l <= MAXLEN; l++)
        for (unsigned s = 0; s < 256; s++)
            if (cnt[s] && len[s] == l)
                order[k++] = s;

    /* exact size: tree (10 bits per leaf minus one) + codes */
    if ((uint64_t)n > (UINT64_MAX - 4096) / MAXLEN)
        return PMC_E_OUTPUT;
    uint64_t bits = 10u * (uint64_t)nsym - 1u; /* cannot overflow: at most 2559 + 24 n */
    for (unsigned s = 0; s < 256; s++)
        bits += cnt[s] * len[s];
    uint64_t total64 = (bits + 7) / 8;
    if (total64 > (uint64_t)cap)
        return PMC_E_OUTPUT;

    bitwriter w = {0, 0, dst};
    uint32_t c = 0;
    unsigned prevlen = 0;
    for (unsigned i = 0; i < k; i++) {
        unsigned s = order[i], l = len[s], zeros;
        if (i == 0) {
            c = 0;
            zeros = l; /* every internal node on the path is new */
        } else {
            c = (c + 1) << (l - prevlen);
            /* common prefix of this code with the previous one */
            uint32_t x = code[order[i - 1]] ^ (c >> (l - prevlen));
            unsigned diff = bit_length(x); /* x != 0: the codes are prefix-free */
            unsigned common = prevlen - diff;
            zeros = l - common - 1;
        }
        code[s] = c;
        prevlen = l;
        put_bits(&w, 0, zeros);
        put_bits(&w, 0x100u | s, 9);
    }

    for (size_t i = 0; i < n; i++)
        put_bits(&w, code[src[i]], len[src[i]]);
    flush_bits(&w);
    *written = (size_t)(w.p - dst);
    return PMC_OK;
}

/* ------------------------------------------------------------------------ */
/* decoder */

typedef struct {
    uint16_t child[MAXNODES][2]; /* NO_CHILD for a leaf */
    uint8_t sym[MAXNODES];
    unsigned nnodes;
} tree_t;

static inline unsigned bit_at(const uint8_t *src, size_t bp) { return (src[bp >> 3] >> (7u - (bp & 7u))) & 1u; }

/* parses the pre-order tree starting at bit 0; *bp receives its bit length */
static int parse_tree(const uint8_t *src, size_t len, tree_t *t, size_t *bp_out)
{
    uint16_t stack[MAXNODES];
    uint8_t pending[MAXNODES]; /* children still to attach to stack[i] */
    uint8_t seen[256];
    unsigned sp = 0;
    size_t bp = 0, nbits = len > SIZE_MAX / 8 ? SIZE_MAX : len * 8;

    memset(seen, 0, sizeof seen);
    t->nnodes = 0;
    do {
        if (t->nnodes == MAXNODES)
            return PMC_E_CORRUPT;
        if (bp >= nbits)
            return PMC_E_TRUNCATED;
        unsigned node = t->nnodes++;
        unsigned leaf = bit_at(src, bp++);
        if (sp) {
            unsigned top = stack[sp - 1];
            t->child[top][2 - pending[sp - 1]] = (uint16_t)node;
            if (--pending[sp - 1] == 0)
                sp--;
        }
        if (leaf) {
            if (nbits - bp < 8)
                return PMC_E_TRUNCATED;
            unsigned s = 0;
            for (unsigned j = 0; j < 8; j++)
                s = (s << 1) | bit_at(src, bp++);
            if (seen[s])
                return PMC_E_CORRUPT;
            seen[s] = 1;
            t->sym[node] = (uint8_t)s;
            t->child[node][0] = t->child[node][1] = NO_CHILD;
        } else {
            stack[sp] = (uint16_t)node;
            pending[sp] = 2;
            sp++;
        }
    } while (sp);
    *bp_out = bp;
    return PMC_OK;
}

/* table entries: leaf within TBITS: symbol | length << 8; else E_LONG | node */
static void build_table(const tree_t *t, uint16_t *tab)
{
    uint16_t st_node[2 * TBITS + 2];
    uint16_t st_code[2 * TBITS + 2];
    uint8_t st_depth[2 * TBITS + 2];
    unsigned sp = 0;

    st_node[sp] = 0;
    st_code[sp] = 0;
    st_depth[sp] = 0;
    sp++;
    while (sp) {
        sp--;
        unsigned node = st_node[sp], code = st_code[sp], d = st_depth[sp];
        if (t->child[node][0] == NO_CHILD) {
            unsigned first = code << (TBITS - d), count = 1u << (TBITS - d);
            uint16_t e = (uint16_t)(t->sym[node] | (d << 8));
            for (unsigned j = 0; j < count; j++)
                tab[first + j] = e;
        } else if (d == TBITS) {
            tab[code] = (uint16_t)(E_LONG | node);
        } else {
            for (unsigned b = 0; b < 2; b++) {
                st_node[sp] = t->child[node][b];
                st_code[sp] = (uint16_t)((code << 1) | b);
                st_depth[sp] = (uint8_t)(d + 1);
                sp++;
            }
        }
    }
}

static inline uint64_t ld64be(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
    return __builtin_bswap64(v);
#else
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) | ((uint64_t)p[3] << 32) |
           ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) | ((uint64_t)p[6] << 8) | (uint64_t)p[7];
#endif
}

/* Bit reader: the next unread bit is bit 63 of buf; cnt bits of buf are
 * loaded from the input (the bits below may hold further input bits or zero).
 * Invariant: bits consumed = 8 * pos - cnt. */
typedef struct {
    uint64_t buf;
    unsigned cnt;
    size_t pos;
} bitreader;

static inline void refill(bitreader *r, const uint8_t *src, size_t len)
{
    if (len - r->pos >= 8) {
        r->buf |= ld64be(src + r->pos) >> r->cnt;
        r->pos += (63u - r->cnt) >> 3;
        r->cnt |= 56u;
    } else {
        while (r->cnt <= 56 && r->pos < len) {
            r->buf |= (uint64_t)src[r->pos++] << (56u - r->cnt);
            r->cnt += 8;
        }
    }
}

/* pair table: for the next TBITS bits, the one or two whole codes they start
 * with: sym0 | sym1 << 8 | bits << 16 | count << 24; E2_LONG when the first
 * code is longer than TBITS */
#define E2_LONG 0x80000000u

static void build_pairs(const uint16_t *tab, uint32_t *tab2)
{
    for (unsigned x = 0; x < TSIZE; x++) {
        unsigned e = tab[x];
        if (e & E_LONG) {
            tab2[x] = E2_LONG;
            continue;
        }
        unsigned l0 = e >> 8, s0 = e & 0xFFu;
        uint32_t v = s0 | ((uint32_t)l0 << 16) | (1u << 24);
        if (l0 < TBITS) {
            unsigned f = tab[(x << l0) & (TSIZE - 1)];
            unsigned l1 = f >> 8;
            if (!(f & E_LONG) && l0 + l1 <= TBITS)
                v = s0 | ((f & 0xFFu) << 8) | ((uint32_t)(l0 + l1) << 16) | (2u << 24);
        }
        tab2[x] = v;
    }
}

int pmc_legacy_huf_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t nsym, size_t *end_bits)
{
    tree_t t;
    uint16_t tab[TSIZE];
    uint32_t tab2[TSIZE];
    size_t tbits;
    int rc;

    if (end_bits)
        *end_bits = 0;
    if (nsym == 0)
        return PMC_OK;
    if (!dst)
        return PMC_E_PARAM;
    if (!src || len == 0)
        return PMC_E_TRUNCATED;
    rc = parse_tree(src, len, &t, &tbits);
    if (rc)
        return rc;

    if (t.child[0][0] == NO_CHILD) {
        /* a single leaf: one (unread) bit per symbol */
        size_t avail = (len > SIZE_MAX / 8 ? SIZE_MAX : len * 8) - tbits;
        if (nsym > avail)
            return PMC_E_TRUNCATED;
        memset(dst, t.sym[0], nsym);
        if (end_bits)
            *end_bits = tbits + nsym;
        return PMC_OK;
    }

    build_table(&t, tab);
    build_pairs(tab, tab2);

    bitreader r = {0, 0, tbits >> 3};
    refill(&r, src, len);
    r.buf <<= tbits & 7u;
    r.cnt -= (unsigned)(tbits & 7u);

    size_t i = 0;
    while (i < nsym) {
        refill(&r, src, len);
        /* fast: five lookups of at most 11 bits fit the 55 bits loaded; each
         * gives one or two symbols (two bytes are stored either way) */
        if (r.cnt >= 5 * TBITS && nsym - i >= 10) {
            unsigned k;
            for (k = 0; k < 5; k++) {
                uint32_t e = tab2[r.buf >> (64 - TBITS)];
                if (e & E2_LONG)
                    break;
                unsigned l = (e >> 16) & 0xFFu;
                dst[i] = (uint8_t)e;
                dst[i + 1] = (uint8_t)(e >> 8);
                i += e >> 24;
                r.buf <<= l;
                r.cnt -= l;
            }
            if (k == 5)
                continue;
            refill(&r, src, len);
        }
        /* careful: one code, any length, checked against the input */
        unsigned e = tab[r.buf >> (64 - TBITS)];
        if (!(e & E_LONG)) {
            unsigned l = e >> 8;
            if (l > r.cnt)
                return PMC_E_TRUNCATED;
            dst[i++] = (uint8_t)e;
            r.buf <<= l;
            r.cnt -= l;
            continue;
        }
        if (r.cnt < TBITS)
            return PMC_E_TRUNCATED;
        r.buf <<= TBITS;
        r.cnt -= TBITS;
        unsigned node = e & ~E_LONG;
        while (t.child[node][0] != NO_CHILD) {
            if (r.cnt == 0) {
                refill(&r, src, len);
                if (r.cnt == 0)
                    return PMC_E_TRUNCATED;
            }
            unsigned b = (unsigned)(r.buf >> 63);
            r.buf <<= 1;
            r.cnt--;
            node = t.child[node][b];
        }
        dst[i++] = t.sym[node];
    }
    if (end_bits)
        *end_bits = r.pos * 8 - r.cnt;
    return PMC_OK;
}
