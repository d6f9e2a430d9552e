/* huffman_internal.h - what the segment encoder (huffman_encode.c) and
 * decoder (huffman_decode.c) share: the symbol alphabet of docs/FORMAT.md,
 * "Entropy-coded segment", canonical codes and small bit helpers.  Private
 * to bcl/.
 */
#ifndef PMC_HUFFMAN_INTERNAL_H
#define PMC_HUFFMAN_INTERNAL_H

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

/* index of the least significant set bit of x (x != 0) */
static inline unsigned lsb32(uint32_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned r = 0;
    while (!(x & 1u)) {
        x >>= 1;
        r++;
    }
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
static inline void canonical_codes(const uint8_t *len, uint32_t *code)
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

/* values of stream i when n values are split at q = ceil(n/4) */
static inline size_t stream_count(size_t n, size_t q, unsigned i)
{
    const size_t first = (size_t)i * q;
    if (first >= n)
        return 0;
    return n - first < q ? n - first : q;
}

#endif
