/* huffman_decode.c - the decoder of entropy-coded segments (docs/FORMAT.md,
 * "Entropy-coded segment").
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
 * Re-entrant: no mutable static state.  Working memory: the two tables,
 * PMC_HUF_DEC_WS bytes of the caller's scratch (or an allocation).
 */
#include "huffman_internal.h"

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

static int decode_huffman(const uint8_t *src, size_t len, uint16_t *z, size_t n, unsigned unz, void *ws)
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
    dentry *const T = (dentry *)ws;
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
        mentry *const M = (mentry *)((uint8_t *)ws + TSIZE * sizeof(dentry));
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

int pmc_huf_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n, int deltas, void *ws)
{
    const unsigned unz = deltas ? 1u : 0u;
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
    return decode_huffman(src, len, z, n, unz, ws);
}

/* the workspace holds the two tables */
typedef char pmc_check_decode_scratch[TSIZE * (sizeof(dentry) + sizeof(mentry)) <= PMC_HUF_DEC_WS ? 1 : -1];

int pmc_segment_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n, void *scratch)
{
    pmc_arena a;
    int rc = pmc_arena_open(&a, scratch, PMC_SEGMENT_DECODE_SCRATCH, PMC_HUF_DEC_WS);
    if (rc != PMC_OK)
        return rc;
    rc = pmc_huf_decode(src, len, z, n, 0, pmc_arena_take(&a, PMC_HUF_DEC_WS));
    pmc_arena_close(&a);
    return rc;
}
