/* test_huffman.c - standalone tests and microbenchmark of the entropy coder
 * (bcl/huffman_encode.c, bcl/huffman_decode.c) and of common/crc32c.c.
 *
 *   test_huffman            run the tests
 *   test_huffman --bench    run the tests, then the microbenchmark
 *   test_huffman --bench-only
 *
 * The tests compare the library against a slow reference encoder and decoder
 * written here from docs/FORMAT.md alone (bit-by-bit writer and reader, naive
 * Huffman construction with the same tie rule): the encoder must produce the
 * very same bytes, and the decoder must return the same status and values on
 * valid, truncated, bit-flipped and hand-made invalid segments.  Inputs are
 * copied to heap blocks of their exact size so that AddressSanitizer catches
 * any access outside them.
 */
#define _POSIX_C_SOURCE 199309L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huffman.h" /* internal: the deltas variant the chunk decoder uses */

/* The chunk decoder's variant of the segment decoder (bcl/huffman.h): the
 * differences the values stand for, with a workspace of its own. */
static int decode_deltas(const uint8_t *src, size_t len, uint16_t *d, size_t n)
{
    void *ws = malloc(PMC_HUF_DEC_WS);
    if (!ws)
        return PMC_E_NOMEM;
    const int rc = pmc_huf_decode(src, len, d, n, 1, ws);
    free(ws);
    return rc;
}

static int failures = 0;
static long checks = 0;

#define CHECK(cond, ...)                                                                                         \
    do {                                                                                                         \
        checks++;                                                                                                \
        if (!(cond)) {                                                                                           \
            failures++;                                                                                          \
            if (failures <= 30) {                                                                                \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                             \
                fprintf(stderr, __VA_ARGS__);                                                                    \
                fprintf(stderr, "\n");                                                                           \
            }                                                                                                    \
        }                                                                                                        \
    } while (0)

static void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ------------------------------------------------------------------------ */
/* random numbers (splitmix64) */

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t rnext(rng_t *r)
{
    uint64_t x = (r->s += 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static double runif(rng_t *r) { return (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0); }

static uint32_t rbelow(rng_t *r, uint32_t m) { return (uint32_t)(runif(r) * m); }

static double rgauss(rng_t *r)
{
    double u = runif(r), v = runif(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* ------------------------------------------------------------------------ */
/* data generators */

enum {
    D_CONST,
    D_TWO,
    D_FIBGEO,   /* geometric with ratio 1/phi: long codes before limiting */
    D_FIBEXACT, /* value i appears Fib(i) times */
    D_NOISE,    /* uniform 16-bit */
    D_ALT,      /* 0, 65535, 0, ... */
    D_GAUSS15,  /* zigzag(round(1.5 N)) */
    D_GAUSS30,  /* zigzag(round(30 N)) */
    D_SAMEHI,   /* one literal hi, different low bits */
    D_SPIKES,   /* small values plus 10% in [64 << (p-1), 64 << p): selects k = p */
    D_SMALLUNI, /* uniform in [0, 64 << p) */
    D_GEO,      /* wide geometric mixture */
    D_GAUSSP,   /* zigzag(round(p N)) */
    D_COUNT
};

static const char *dist_name[D_COUNT] = {"const", "two",   "fibgeo", "fibexact", "noise",   "alt",
                                         "gauss1.5", "gauss30", "samehi", "spikes", "smalluni", "geo", "gauss"};

static void gen(int d, int param, uint16_t *z, size_t n, uint64_t seed)
{
    rng_t r = {seed * 0x1234567ull + (uint64_t)d * 77 + (uint64_t)param};
    switch (d) {
    case D_CONST: {
        uint16_t v = (uint16_t)rnext(&r);
        for (size_t i = 0; i < n; i++)
            z[i] = v;
        break;
    }
    case D_TWO: {
        uint16_t a = (uint16_t)rnext(&r), b = (uint16_t)(param ? a ^ 1 : rnext(&r));
        for (size_t i = 0; i < n; i++)
            z[i] = (rnext(&r) & 1) ? a : b;
        break;
    }
    case D_FIBGEO:
        for (size_t i = 0; i < n; i++) {
            unsigned v = 0;
            while (v < 60 && runif(&r) < 0.6180339887)
                v++;
            z[i] = (uint16_t)v;
        }
        break;
    case D_FIBEXACT: {
        size_t i = 0;
        uint64_t f1 = 1, f2 = 1;
        for (unsigned v = 0; i < n && v < 64; v++) {
            for (uint64_t c = 0; c < f1 && i < n; c++)
                z[i++] = (uint16_t)v;
            uint64_t t = f1 + f2;
            f1 = f2;
            f2 = t;
        }
        for (; i < n; i++)
            z[i] = 0;
        for (size_t j = n; j > 1; j--) { /* shuffle */
            size_t t = (size_t)(rnext(&r) % j);
            uint16_t x = z[j - 1];
            z[j - 1] = z[t];
            z[t] = x;
        }
        break;
    }
    case D_NOISE:
        for (size_t i = 0; i < n; i++)
            z[i] = (uint16_t)rnext(&r);
        break;
    case D_ALT:
        for (size_t i = 0; i < n; i++)
            z[i] = (i & 1) ? 65535 : 0;
        break;
    case D_GAUSS15:
    case D_GAUSS30:
    case D_GAUSSP: {
        double sigma = d == D_GAUSS15 ? 1.5 : d == D_GAUSS30 ? 30.0 : (double)(param ? param : 100);
        for (size_t i = 0; i < n; i++) {
            long v = lround(sigma * rgauss(&r));
            z[i] = pmc_zigzag((uint16_t)v);
        }
        break;
    }
    case D_SAMEHI: /* values 1008..1023: k = 4, hi = 63 */
        for (size_t i = 0; i < n; i++)
            z[i] = (uint16_t)(1008 + (rnext(&r) & 15));
        break;
    case D_SPIKES:
        for (size_t i = 0; i < n; i++) {
            if (param > 0 && rbelow(&r, 10) == 0) {
                uint32_t lo = 64u << (param - 1);
                z[i] = (uint16_t)(lo + rbelow(&r, lo));
            } else {
                z[i] = (uint16_t)rbelow(&r, 4);
            }
        }
        break;
    case D_SMALLUNI:
        for (size_t i = 0; i < n; i++)
            z[i] = (uint16_t)rbelow(&r, 64u << param);
        break;
    case D_GEO:
        for (size_t i = 0; i < n; i++) {
            unsigned b = rbelow(&r, 17);
            z[i] = (uint16_t)(b ? (rnext(&r) & ((1u << b) - 1)) | (1u << (b - 1)) : 0);
        }
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* reference encoder, written from FORMAT.md */

#define NSYM 74

static unsigned ref_bitlen(unsigned x)
{
    unsigned b = 0;
    while (x) {
        b++;
        x >>= 1;
    }
    return b;
}

static unsigned ref_symbol(unsigned z, unsigned k, unsigned *nextra, unsigned *extra)
{
    unsigned hi = z >> k;
    if (hi < 64) {
        *nextra = 0;
        *extra = 0;
        return hi;
    }
    unsigned nb = ref_bitlen(hi);
    *nextra = nb - 1;
    *extra = hi - (1u << (nb - 1));
    return 64 + nb - 7;
}

static int ref_possible(unsigned s, unsigned k)
{
    if (s < 64)
        return (uint32_t)s < (1u << (16 - k));
    return s - 64 + 7 <= 16 - k;
}

/* Huffman: repeatedly merge the two first nodes by (weight, leaf before
 * internal, symbol / creation order); naive selection. */
static unsigned ref_huffman(const uint64_t *cnt, uint8_t *len)
{
    uint64_t w[2 * NSYM];
    int kind[2 * NSYM], alive[2 * NSYM], parent[2 * NSYM];
    unsigned id[2 * NSYM], sym[2 * NSYM];
    unsigned nn = 0, created = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (cnt[s]) {
            w[nn] = cnt[s];
            kind[nn] = 0;
            id[nn] = s;
            sym[nn] = s;
            alive[nn] = 1;
            parent[nn] = -1;
            nn++;
        }
    unsigned m = nn;
    for (unsigned step = 0; step + 1 < m; step++) {
        int pick[2];
        for (int t = 0; t < 2; t++) {
            int best = -1;
            for (unsigned i = 0; i < nn; i++) {
                if (!alive[i])
                    continue;
                if (best < 0 || w[i] < w[best] || (w[i] == w[best] && kind[i] < kind[best]) ||
                    (w[i] == w[best] && kind[i] == kind[best] && id[i] < id[best]))
                    best = (int)i;
            }
            alive[best] = 0;
            pick[t] = best;
        }
        w[nn] = w[pick[0]] + w[pick[1]];
        kind[nn] = 1;
        id[nn] = created++;
        alive[nn] = 1;
        parent[nn] = -1;
        parent[pick[0]] = parent[pick[1]] = (int)nn;
        nn++;
    }
    unsigned maxl = 0;
    memset(len, 0, NSYM);
    for (unsigned i = 0; i < m; i++) {
        unsigned d = 0;
        for (int j = parent[i]; j >= 0; j = parent[j])
            d++;
        len[sym[i]] = (uint8_t)(d > 255 ? 255 : d);
        if (d > maxl)
            maxl = d;
    }
    return maxl;
}

/* canonical codes exactly as the FORMAT.md sentence says */
static void ref_codes(const uint8_t *len, uint32_t *code)
{
    unsigned order[NSYM], m = 0;
    for (unsigned l = 1; l <= 15; l++)
        for (unsigned s = 0; s < NSYM; s++)
            if (len[s] == l)
                order[m++] = s;
    uint32_t c = 0;
    for (unsigned i = 0; i < m; i++) {
        if (i > 0)
            c = (c + 1) << (len[order[i]] - len[order[i - 1]]);
        code[order[i]] = c;
    }
}

typedef struct {
    uint8_t *p;
    size_t nbits;
} bitw_t;

static void bw_put(bitw_t *b, unsigned bit)
{
    if ((b->nbits & 7) == 0)
        b->p[b->nbits >> 3] = 0;
    b->p[b->nbits >> 3] |= (uint8_t)(bit << (b->nbits & 7));
    b->nbits++;
}

/* FORMAT.md's code lengths for symbol counts cnt with k: a single present
 * symbol paired with the lowest-numbered other possible one (both length 1),
 * else Huffman's algorithm, with the 11-bit limit (count halving) when limit */
static void ref_lengths(const uint64_t *cnt, unsigned k, int limit, uint8_t *len)
{
    unsigned used = 0, only = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (cnt[s]) {
            used++;
            only = s;
        }
    if (used == 1) {
        memset(len, 0, NSYM);
        len[only] = 1;
        for (unsigned s = 0; s < NSYM; s++)
            if (s != only && ref_possible(s, k)) {
                len[s] = 1;
                break;
            }
        return;
    }
    uint64_t c[NSYM];
    memcpy(c, cnt, sizeof c);
    while (ref_huffman(c, len) > 11 && limit)
        for (unsigned s = 0; s < NSYM; s++)
            if (c[s])
                c[s] = (c[s] >> 1) | 1;
}

/* FORMAT.md's size estimate of a segment coded with k: counts taken value by
 * value, Huffman lengths without the 11-bit limit */
static uint64_t ref_size_for_k(const uint16_t *z, size_t n, unsigned k)
{
    uint64_t cnt[NSYM] = {0}, bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned ne, ex;
        cnt[ref_symbol(z[i], k, &ne, &ex)]++;
    }
    uint8_t len[NSYM];
    unsigned nlen = 0;
    ref_lengths(cnt, k, 0, len);
    for (unsigned s = 0; s < NSYM; s++)
        if (len[s]) {
            nlen = s + 1;
            bits += cnt[s] * (len[s] + (s < 64 ? 0 : s - 64 + 6) + k);
        }
    return bits + 8 * ((nlen + 1) / 2);
}

typedef struct {
    int force_huffman; /* never constant or raw */
    int force_k;       /* -1: the encoder's choice */
    int fix_len;       /* use len[] given below instead of Huffman */
    uint8_t len[NSYM];
} refopt;

/* out needs 4n + 64 bytes */
static size_t ref_encode(const uint16_t *z, size_t n, const refopt *opt, uint8_t *out, unsigned *kout)
{
    if (n == 0) {
        out[0] = 1;
        out[1] = out[2] = 0;
        return 3;
    }
    int equal = 1;
    for (size_t i = 1; i < n; i++)
        if (z[i] != z[0])
            equal = 0;
    if (equal && !opt->force_huffman) {
        out[0] = 1;
        pmc_wr16(out + 1, z[0]);
        return 3;
    }
    unsigned k = 0;
    if (opt->force_k >= 0) {
        k = (unsigned)opt->force_k;
    } else {
        for (;; k++) {
            size_t big = 0;
            for (size_t i = 0; i < n; i++)
                big += z[i] >= (64u << k);
            if (big * 32 <= n)
                break;
        }
        /* FORMAT.md: from k0 down while strictly smaller, else up */
        const unsigned k0 = k;
        uint64_t best = ref_size_for_k(z, n, k0);
        for (unsigned kk = k0; kk-- > 0;) {
            const uint64_t b = ref_size_for_k(z, n, kk);
            if (b >= best)
                break;
            best = b;
            k = kk;
        }
        if (k == k0)
            for (unsigned kk = k0 + 1; kk <= 15; kk++) {
                const uint64_t b = ref_size_for_k(z, n, kk);
                if (b >= best)
                    break;
                best = b;
                k = kk;
            }
    }
    *kout = k;
    uint64_t cnt[NSYM] = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned ne, ex;
        cnt[ref_symbol(z[i], k, &ne, &ex)]++;
    }
    uint8_t len[NSYM];
    if (opt->fix_len)
        memcpy(len, opt->len, NSYM);
    else
        ref_lengths(cnt, k, 1, len);
    uint32_t code[NSYM];
    ref_codes(len, code);
    unsigned nlen = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (len[s])
            nlen = s + 1;
    size_t o = 0;
    out[o++] = 0;
    out[o++] = (uint8_t)k;
    out[o++] = (uint8_t)nlen;
    for (unsigned s = 0; s < nlen; s += 2)
        out[o++] = (uint8_t)(len[s] | ((s + 1 < nlen ? len[s + 1] : 0) << 4));
    size_t sizes_at = o;
    o += 12;
    size_t q = (n + 3) / 4;
    for (unsigned i = 0; i < 4; i++) {
        bitw_t b = {out + o, 0};
        for (size_t j = (size_t)i * q; j < n && j < (size_t)(i + 1) * q; j++) {
            unsigned ne, ex, s = ref_symbol(z[j], k, &ne, &ex);
            for (unsigned t = len[s]; t-- > 0;)
                bw_put(&b, (code[s] >> t) & 1);
            unsigned w = (ex << k) | (z[j] & ((1u << k) - 1));
            for (unsigned t = 0; t < ne + k; t++)
                bw_put(&b, (w >> t) & 1);
        }
        size_t bytes = (b.nbits + 7) / 8;
        if (i < 3)
            pmc_wr32(out + sizes_at + 4 * i, (uint32_t)bytes);
        o += bytes;
    }
    if (!opt->force_huffman && o >= 1 + 2 * n) {
        out[0] = 2;
        for (size_t i = 0; i < n; i++)
            pmc_wr16(out + 1 + 2 * i, z[i]);
        return 1 + 2 * n;
    }
    return o;
}

/* ------------------------------------------------------------------------ */
/* reference decoder, written from FORMAT.md (same check order as the library) */

typedef struct {
    const uint8_t *p;
    size_t size, pos;
} bitr_t;

static int br_get(bitr_t *b, unsigned nbits, uint32_t *v)
{
    uint32_t x = 0;
    for (unsigned i = 0; i < nbits; i++) {
        if (b->pos >= 8 * b->size)
            return PMC_E_TRUNCATED;
        x |= (uint32_t)((b->p[b->pos >> 3] >> (b->pos & 7)) & 1) << i;
        b->pos++;
    }
    *v = x;
    return PMC_OK;
}

static int ref_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n)
{
    if (len < 1)
        return PMC_E_TRUNCATED;
    if (src[0] == 1) {
        if (len < 3)
            return PMC_E_TRUNCATED;
        if (len > 3)
            return PMC_E_CORRUPT;
        for (size_t i = 0; i < n; i++)
            z[i] = pmc_rd16(src + 1);
        return PMC_OK;
    }
    if (src[0] > 2 || n == 0)
        return PMC_E_CORRUPT;
    if (src[0] == 2) {
        if (len < 1 + 2 * n)
            return PMC_E_TRUNCATED;
        if (len > 1 + 2 * n)
            return PMC_E_CORRUPT;
        for (size_t i = 0; i < n; i++)
            z[i] = pmc_rd16(src + 1 + 2 * i);
        return PMC_OK;
    }
    if (len < 2)
        return PMC_E_TRUNCATED;
    unsigned k = src[1];
    if (k > 15)
        return PMC_E_CORRUPT;
    if (len < 3)
        return PMC_E_TRUNCATED;
    unsigned nlen = src[2];
    if (nlen < 1 || nlen > 74)
        return PMC_E_CORRUPT;
    size_t tb = (nlen + 1) / 2;
    if (len < 3 + tb)
        return PMC_E_TRUNCATED;
    uint8_t cl[NSYM] = {0};
    for (unsigned s = 0; s < nlen; s++) {
        unsigned l = (src[3 + s / 2] >> (4 * (s & 1))) & 15;
        if (l > 11 || (l && !ref_possible(s, k)))
            return PMC_E_TABLE;
        cl[s] = (uint8_t)l;
    }
    if ((nlen & 1) && (src[3 + nlen / 2] >> 4))
        return PMC_E_CORRUPT;
    unsigned present = 0, kraft = 0;
    for (unsigned s = 0; s < NSYM; s++)
        if (cl[s]) {
            present++;
            kraft += 1u << (11 - cl[s]);
        }
    if (present < 2 || kraft != 2048)
        return PMC_E_TABLE;
    if (len < 15 + tb)
        return PMC_E_TRUNCATED;
    uint64_t sz[4], rest = len - 15 - tb;
    for (unsigned i = 0; i < 3; i++) {
        sz[i] = pmc_rd32(src + 3 + tb + 4 * i);
        if (sz[i] > rest)
            return PMC_E_TRUNCATED;
        rest -= sz[i];
    }
    sz[3] = rest;
    /* canonical decoding tables */
    uint32_t code[NSYM];
    ref_codes(cl, code);
    size_t q = n / 4 + (n % 4 != 0), o = 15 + tb;
    for (unsigned i = 0; i < 4; i++) {
        bitr_t b = {src + o, (size_t)sz[i], 0};
        size_t first = (size_t)i * q;
        size_t cntv = first >= n ? 0 : (n - first < q ? n - first : q);
        for (size_t j = 0; j < cntv; j++) {
            uint32_t c = 0, bit;
            unsigned l = 0;
            int sym = -1;
            while (sym < 0) {
                int rc = br_get(&b, 1, &bit);
                if (rc)
                    return rc;
                c = (c << 1) | bit;
                l++;
                for (unsigned s = 0; s < NSYM; s++)
                    if (cl[s] == l && code[s] == c)
                        sym = (int)s;
                if (l > 11)
                    return -100; /* impossible with a complete code */
            }
            unsigned base = (unsigned)sym, ne = 0;
            if (sym >= 64) {
                unsigned nb = (unsigned)sym - 64 + 7;
                base = 1u << (nb - 1);
                ne = nb - 1;
            }
            uint32_t w;
            int rc = br_get(&b, ne + k, &w);
            if (rc)
                return rc;
            z[first + j] = (uint16_t)((base << k) + w);
        }
        size_t used = (b.pos + 7) / 8;
        if (used < b.size)
            return PMC_E_CORRUPT;
        if ((b.pos & 7) && (b.p[b.size - 1] >> (b.pos & 7)))
            return PMC_E_CORRUPT;
        o += (size_t)sz[i];
    }
    return PMC_OK;
}

/* ------------------------------------------------------------------------ */
/* decode helpers: exact-size heap copies so ASan sees every stray access */

static int lib_decode(const uint8_t *seg, size_t len, uint16_t *out, size_t n)
{
    uint8_t *copy = (uint8_t *)xmalloc(len);
    if (len)
        memcpy(copy, seg, len);
    int rc = pmc_segment_decode(len ? copy : NULL, len, out, n, NULL);
    /* the chunk decoder's variant: same status, unzigzag of the same values */
    uint16_t *d = (uint16_t *)xmalloc((n ? n : 1) * sizeof(uint16_t));
    int rd = decode_deltas(len ? copy : NULL, len, n ? d : NULL, n);
    CHECK(rd == rc, "deltas variant status %d, pmc_segment_decode %d (n=%zu, len=%zu)", rd, rc, n, len);
    if (rc == PMC_OK && rd == PMC_OK)
        for (size_t i = 0; i < n; i++)
            if (d[i] != (uint16_t)((out[i] >> 1) ^ (uint16_t)(-(out[i] & 1)))) {
                CHECK(0, "deltas variant value %zu: %u for z=%u (n=%zu)", i, d[i], out[i], n);
                break;
            }
    free(d);
    free(copy);
    return rc;
}

/* library and reference decoders agree (status, and values when OK) */
static int agree(const uint8_t *seg, size_t len, size_t n, int *rc_out)
{
    uint16_t *a = (uint16_t *)xmalloc(n * sizeof(uint16_t));
    uint16_t *b = (uint16_t *)xmalloc(n * sizeof(uint16_t));
    int ra = lib_decode(seg, len, n ? a : NULL, n);
    int rb = ref_decode(seg, len, b, n);
    int ok = ra == rb && (ra != PMC_OK || n == 0 || memcmp(a, b, n * sizeof(uint16_t)) == 0);
    if (rc_out)
        *rc_out = ra;
    free(a);
    free(b);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* tests */

static int k_seen[16];
static int mode_seen[3];

static void roundtrip_one(const uint16_t *z, size_t n, const char *what)
{
    size_t bound = pmc_segment_bound(n);
    uint8_t *dst = (uint8_t *)xmalloc(bound);
    size_t w = 0;
    int rc = pmc_segment_encode(z, n, dst, bound, &w, NULL);
    CHECK(rc == PMC_OK, "%s n=%zu encode rc=%d", what, n, rc);
    if (rc != PMC_OK) {
        free(dst);
        return;
    }
    CHECK(w <= bound, "%s n=%zu written %zu > bound %zu", what, n, w, bound);
    CHECK(w >= 3, "%s n=%zu written %zu", what, n, w);
    if (dst[0] <= 2)
        mode_seen[dst[0]]++;
    if (dst[0] == 0)
        k_seen[dst[1]]++;
    if (n > 0 && dst[0] == 0)
        CHECK(w < 1 + 2 * n, "%s n=%zu Huffman segment not smaller than raw", what, n);

    /* same bytes as the reference encoder (for sizes the slow one can take) */
    if (n <= 300000) {
        uint8_t *ref = (uint8_t *)xmalloc(4 * n + 64);
        refopt opt;
        memset(&opt, 0, sizeof opt);
        opt.force_k = -1;
        unsigned k = 0;
        size_t rl = ref_encode(z, n, &opt, ref, &k);
        CHECK(rl == w && memcmp(ref, dst, w) == 0, "%s n=%zu: bytes differ from the reference (%zu vs %zu, mode %d/%d)",
              what, n, w, rl, dst[0], ref[0]);
        free(ref);
    }

    uint16_t *back = (uint16_t *)xmalloc(n * sizeof(uint16_t));
    rc = lib_decode(dst, w, n ? back : NULL, n);
    CHECK(rc == PMC_OK, "%s n=%zu decode rc=%d (%s)", what, n, rc, pmc_strerror(rc));
    CHECK(rc != PMC_OK || n == 0 || memcmp(back, z, n * sizeof(uint16_t)) == 0, "%s n=%zu values differ", what, n);
    if (n <= 300000 && n > 0) {
        int r2;
        CHECK(agree(dst, w, n, &r2), "%s n=%zu reference decoder disagrees", what, n);
    }
    free(back);
    free(dst);
}

static void test_roundtrips(void)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 31, 32, 33,
                                   63, 64, 65, 100, 127, 128, 129, 255, 256, 1000, 1023, 4097, 8191,
                                   8192, 8193, 9001, 20011, 262144};
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    uint16_t *z = (uint16_t *)xmalloc(262144 * sizeof(uint16_t));
    char what[64];
    for (int d = 0; d < D_COUNT; d++) {
        int pmax = (d == D_SPIKES || d == D_SMALLUNI) ? 10 : (d == D_TWO ? 1 : 0);
        for (int p = 0; p <= pmax; p++)
            for (size_t si = 0; si < nsizes; si++)
                for (uint64_t seed = 1; seed <= (sizes[si] < 300 ? 3u : 1u); seed++) {
                    gen(d, p, z, sizes[si], seed);
                    snprintf(what, sizeof what, "%s(%d)", dist_name[d], p);
                    roundtrip_one(z, sizes[si], what);
                }
    }
    /* random sizes 1..3000 with random distributions */
    rng_t r = {42};
    for (int t = 0; t < 300; t++) {
        size_t n = 1 + rbelow(&r, 3000);
        int d = (int)rbelow(&r, D_COUNT), p = (int)rbelow(&r, 11);
        gen(d, p, z, n, rnext(&r));
        snprintf(what, sizeof what, "rand %s(%d)", dist_name[d], p);
        roundtrip_one(z, n, what);
    }
    /* random sizes from 8192 (the decoder's multi-value table) to 40000 */
    for (int t = 0; t < 60; t++) {
        size_t n = 8192 + rbelow(&r, 32000);
        int d = (int)rbelow(&r, D_COUNT), p = (int)rbelow(&r, 11);
        gen(d, p, z, n, rnext(&r));
        snprintf(what, sizeof what, "rand large %s(%d)", dist_name[d], p);
        roundtrip_one(z, n, what);
    }
    /* n = 0 */
    {
        uint8_t dst[64];
        size_t w = 0;
        int rc = pmc_segment_encode(NULL, 0, dst, pmc_segment_bound(0), &w, NULL);
        CHECK(rc == PMC_OK && w == 3 && dst[0] == 1 && dst[1] == 0 && dst[2] == 0, "n=0 encode");
        CHECK(pmc_segment_decode(dst, 3, NULL, 0, NULL) == PMC_OK, "n=0 decode constant");
        uint8_t raw1[1] = {2};
        CHECK(pmc_segment_decode(raw1, 1, NULL, 0, NULL) == PMC_E_CORRUPT, "n=0 raw rejected");
    }
    /* every k the encoder can choose, both modes seen */
    for (unsigned k = 0; k <= 10; k++)
        CHECK(k_seen[k] > 0, "k=%u never chosen", k);
    /* k of 11 and more: only when they give a smaller segment than k0 (flat
     * 16-bit noise), which the reference encoder decides the same way */
    CHECK(mode_seen[0] && mode_seen[1] && mode_seen[2], "modes seen %d %d %d", mode_seen[0], mode_seen[1],
          mode_seen[2]);
    printf("  k chosen:");
    for (unsigned k = 0; k < 16; k++)
        printf(" %u:%d", k, k_seen[k]);
    printf("; modes huffman %d, constant %d, raw %d\n", mode_seen[0], mode_seen[1], mode_seen[2]);
    free(z);
}

static void test_large(void)
{
    const size_t n = (size_t)1 << 24;
    uint16_t *z = (uint16_t *)xmalloc(n * sizeof(uint16_t));
    static const int dists[] = {D_GAUSS15, D_GAUSS30, D_NOISE, D_FIBGEO, D_ALT, D_SPIKES};
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++) {
        gen(dists[i], 7, z, n, 9);
        roundtrip_one(z, n, dist_name[dists[i]]);
    }
    free(z);
}

/* The encoder's AVX2 + BMI2 kernels (histogram, vector counts of small
 * values, bit writer) and its portable ones give the same bytes: sizes
 * around the 16-value vectors and past the 65535 vectors after which the
 * lane counters are emptied, distributions on either side of the sample's
 * choice of the vector count. */
static void test_simd_paths(void)
{
    static const size_t sizes[] = {1, 15, 16, 17, 33, 1000, 131072, (size_t)65535 * 16, (size_t)65535 * 16 + 17,
                                   (size_t)2 * 65535 * 16 + 40};
    static const int dists[] = {D_GAUSS15, D_FIBGEO, D_TWO, D_SPIKES, D_SMALLUNI, D_GAUSS30, D_CONST};
    const size_t nmax = (size_t)2 * 65535 * 16 + 40;
    uint16_t *z = (uint16_t *)xmalloc(nmax * sizeof(uint16_t));
    uint8_t *a = (uint8_t *)xmalloc(pmc_segment_bound(nmax)), *b = (uint8_t *)xmalloc(pmc_segment_bound(nmax));
    void *ws = xmalloc(PMC_HUF_ENC_WS);
    for (size_t di = 0; di < sizeof dists / sizeof dists[0]; di++)
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const size_t n = sizes[si];
            gen(dists[di], 1, z, n, 31 + si);
            if (n > 100) /* a few values the vector count leaves to the one-by-one count, some past 2048 */
                for (size_t i = 7; i < n; i += n / 50)
                    z[i] = (uint16_t)(i % 3 ? 9 + i % 40 : 3000 + i % 5000);
            size_t wa = 0, wb = 0;
            const int ra = pmc_huf_encode(z, n, a, pmc_segment_bound(n), &wa, ws, PMC_SIMD_AUTO);
            const int rb = pmc_huf_encode(z, n, b, pmc_segment_bound(n), &wb, ws, PMC_SIMD_PORTABLE);
            CHECK(ra == PMC_OK && rb == PMC_OK && wa == wb && memcmp(a, b, wa) == 0,
                  "%s n=%zu: the SIMD and portable encoders differ (rc %d/%d, %zu/%zu bytes)", dist_name[dists[di]], n,
                  ra, rb, wa, wb);
        }
    printf("  kernels: %s\n", pmc_use_avx2(PMC_SIMD_AUTO) ? "AVX2 + BMI2 against portable" : "portable only here");
    free(ws);
    free(b);
    free(a);
    free(z);
}

/* forced Huffman segments from the reference encoder (small n, every k) */
static void test_forced_huffman(void)
{
    uint16_t z[300];
    uint8_t seg[4 * 300 + 64];
    rng_t r = {7};
    int tested = 0;
    for (int t = 0; t < 3000; t++) {
        size_t n = 1 + rbelow(&r, t < 1500 ? 12 : 300);
        unsigned k = rbelow(&r, 16);
        int d = (int)rbelow(&r, D_COUNT);
        gen(d, (int)rbelow(&r, 11), z, n, rnext(&r));
        refopt opt;
        memset(&opt, 0, sizeof opt);
        opt.force_huffman = 1;
        opt.force_k = (int)k;
        unsigned kk;
        size_t len = ref_encode(z, n, &opt, seg, &kk);
        uint16_t *back = (uint16_t *)xmalloc(n * sizeof(uint16_t));
        int rc = lib_decode(seg, len, back, n);
        CHECK(rc == PMC_OK && memcmp(back, z, n * sizeof(uint16_t)) == 0, "forced k=%u n=%zu rc=%d", k, n, rc);
        free(back);
        tested++;
    }
    /* all escapes of one category (k = 0, values 64..127) and all in one literal hi */
    for (size_t n = 2; n < 40; n++) {
        for (size_t i = 0; i < n; i++)
            z[i] = (uint16_t)(64 + rbelow(&r, 64));
        z[0] = 64;
        z[1] = 127;
        refopt opt;
        memset(&opt, 0, sizeof opt);
        opt.force_huffman = 1;
        opt.force_k = 0;
        unsigned kk;
        size_t len = ref_encode(z, n, &opt, seg, &kk);
        CHECK(seg[0] == 0 && seg[2] == 65 && (seg[3] & 15) == 1 && (seg[3 + 32] & 15) == 1, "escape pair table");
        int rc;
        CHECK(agree(seg, len, n, &rc) && rc == PMC_OK, "all-escape segment n=%zu rc=%d", n, rc);
    }
    printf("  %d forced Huffman segments decoded\n", tested);
}

/* builds a Huffman segment with the given nibble table (nlen entries) and raw stream bytes */
static size_t build_raw_segment(uint8_t *seg, unsigned k, unsigned nlen, const uint8_t *len, const uint32_t *sizes,
                                const uint8_t *streams, size_t sbytes)
{
    size_t o = 0;
    seg[o++] = 0;
    seg[o++] = (uint8_t)k;
    seg[o++] = (uint8_t)nlen;
    for (unsigned s = 0; s < nlen; s += 2)
        seg[o++] = (uint8_t)(len[s] | ((s + 1 < nlen ? len[s + 1] : 0) << 4));
    for (int i = 0; i < 3; i++) {
        pmc_wr32(seg + o, sizes[i]);
        o += 4;
    }
    memcpy(seg + o, streams, sbytes);
    return o + sbytes;
}

static void expect(const uint8_t *seg, size_t len, size_t n, int want, const char *what)
{
    uint16_t *out = (uint16_t *)xmalloc(n * sizeof(uint16_t) + 2);
    int rc = lib_decode(seg, len, n ? out : NULL, n);
    CHECK(rc == want, "%s: rc %d (%s), expected %d (%s)", what, rc, pmc_strerror(rc), want, pmc_strerror(want));
    int rr = ref_decode(seg, len, out, n);
    CHECK(rr == want, "%s: reference rc %d, expected %d", what, rr, want);
    free(out);
}

static void test_invalid(void)
{
    uint8_t seg[512];
    uint8_t len[NSYM];
    uint32_t sizes[3] = {1, 1, 1};
    uint8_t streams[4] = {0, 0, 0, 0}; /* 4 streams of one byte; n = 4 values of symbol 0 (code "0") */
    size_t l;

    /* a valid base case: symbols 0 and 1 of length 1, k = 0 */
    memset(len, 0, sizeof len);
    len[0] = len[1] = 1;
    l = build_raw_segment(seg, 0, 2, len, sizes, streams, 4);
    expect(seg, l, 4, PMC_OK, "base case");

    /* modes */
    for (unsigned m = 3; m < 256; m++) {
        uint8_t b[3] = {(uint8_t)m, 0, 0};
        expect(b, 3, 1, PMC_E_CORRUPT, "bad mode");
        expect(b, 1, 1, PMC_E_CORRUPT, "bad mode, 1 byte");
    }
    expect(seg, 0, 4, PMC_E_TRUNCATED, "empty segment");
    {
        uint8_t c[5] = {1, 7, 0, 0, 0};
        expect(c, 1, 4, PMC_E_TRUNCATED, "constant 1 byte");
        expect(c, 2, 4, PMC_E_TRUNCATED, "constant 2 bytes");
        expect(c, 3, 4, PMC_OK, "constant");
        expect(c, 4, 4, PMC_E_CORRUPT, "constant 4 bytes");
        uint8_t r[12] = {2, 1, 0, 2, 0, 3, 0, 4, 0, 9, 9, 9};
        expect(r, 9, 4, PMC_OK, "raw");
        expect(r, 8, 4, PMC_E_TRUNCATED, "raw short");
        expect(r, 10, 4, PMC_E_CORRUPT, "raw long");
        expect(r, 11, 4, PMC_E_CORRUPT, "raw 2 long");
        expect(r, 1, 0, PMC_E_CORRUPT, "raw with n = 0");
        expect(seg, l, 0, PMC_E_CORRUPT, "huffman with n = 0");
        expect(c, 3, 0, PMC_OK, "constant with n = 0");
    }

    /* header fields */
    for (unsigned k = 16; k < 256; k += 13) {
        uint8_t b[40];
        memcpy(b, seg, l);
        b[1] = (uint8_t)k;
        expect(b, l, 4, PMC_E_CORRUPT, "k > 15");
    }
    {
        uint8_t b[40];
        memcpy(b, seg, l);
        b[2] = 0;
        expect(b, l, 4, PMC_E_CORRUPT, "nlen 0");
        b[2] = 75;
        expect(b, l, 4, PMC_E_CORRUPT, "nlen 75");
        b[2] = 255;
        expect(b, l, 4, PMC_E_CORRUPT, "nlen 255");
    }

    /* tables */
    memset(len, 0, sizeof len);
    len[0] = 1;
    len[1] = 2;
    l = build_raw_segment(seg, 0, 2, len, sizes, streams, 4);
    expect(seg, l, 4, PMC_E_TABLE, "incomplete code");
    len[2] = 2;
    len[3] = 2;
    l = build_raw_segment(seg, 0, 4, len, sizes, streams, 4);
    expect(seg, l, 4, PMC_E_TABLE, "over-subscribed code");
    memset(len, 0, sizeof len);
    len[0] = 1;
    l = build_raw_segment(seg, 0, 1, len, sizes, streams, 4);
    expect(seg, l, 4, PMC_E_TABLE, "single symbol");
    memset(len, 0, sizeof len);
    l = build_raw_segment(seg, 0, 5, len, sizes, streams, 4);
    expect(seg, l, 4, PMC_E_TABLE, "no symbol");
    for (unsigned bad = 12; bad < 16; bad++) {
        memset(len, 0, sizeof len);
        len[0] = 1;
        len[1] = (uint8_t)bad;
        l = build_raw_segment(seg, 0, 2, len, sizes, streams, 4);
        expect(seg, l, 4, PMC_E_TABLE, "length 12+");
    }
    {
        /* 2^11 symbols cannot fit 74 slots, but length-11 entries next to short ones can */
        memset(len, 0, sizeof len);
        len[0] = 1;
        len[1] = 2;
        len[2] = 3;
        len[3] = 4;
        len[4] = 5;
        len[5] = 6;
        len[6] = 7;
        len[7] = 8;
        len[8] = 9;
        len[9] = 10;
        len[10] = 11;
        len[11] = 11;
        l = build_raw_segment(seg, 0, 12, len, sizes, streams, 4);
        expect(seg, l, 4, PMC_OK, "deepest complete code");
        len[11] = 0;
        l = build_raw_segment(seg, 0, 12, len, sizes, streams, 4);
        expect(seg, l, 4, PMC_E_TABLE, "deep incomplete code");
    }
    /* impossible symbols */
    for (unsigned k = 0; k < 16; k++)
        for (unsigned s = 0; s < NSYM; s++) {
            memset(len, 0, sizeof len);
            unsigned a = s == 0 ? 1 : 0;
            len[a] = 1;
            len[s] = 1;
            /* one value: code 0 (the lower symbol, a literal) and k zero bits */
            uint32_t one[3] = {(uint32_t)(1 + k + 7) / 8, 0, 0};
            l = build_raw_segment(seg, k, NSYM, len, one, streams, one[0]);
            int possible = ref_possible(s, k);
            char what[64];
            snprintf(what, sizeof what, "symbol %u with k=%u", s, k);
            expect(seg, l, 1, possible ? PMC_OK : PMC_E_TABLE, what);
        }
    /* odd nlen, nonzero unused nibble */
    memset(len, 0, sizeof len);
    len[0] = 1;
    len[1] = 2;
    len[2] = 2;
    l = build_raw_segment(seg, 0, 3, len, sizes, streams, 4);
    expect(seg, l, 4, PMC_OK, "odd nlen");
    seg[4] |= 0x10;
    expect(seg, l, 4, PMC_E_CORRUPT, "odd nlen, nonzero unused nibble");

    /* streams: padding, unused byte, sizes */
    memset(len, 0, sizeof len);
    len[0] = len[1] = 1;
    {
        uint8_t st[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        l = build_raw_segment(seg, 0, 2, len, sizes, st, 4);
        expect(seg, l, 4, PMC_OK, "ok");
        for (int i = 0; i < 4; i++)
            for (int bit = 1; bit < 8; bit++) {
                memcpy(st, (uint8_t[4]){0, 0, 0, 0}, 4);
                st[i] = (uint8_t)(1u << bit);
                l = build_raw_segment(seg, 0, 2, len, sizes, st, 4);
                expect(seg, l, 4, PMC_E_CORRUPT, "nonzero padding");
            }
        memset(st, 0, sizeof st);
        l = build_raw_segment(seg, 0, 2, len, sizes, st, 5);
        expect(seg, l, 4, PMC_E_CORRUPT, "stream 3 with an unused byte");
        uint32_t s2[3] = {2, 1, 1};
        l = build_raw_segment(seg, 0, 2, len, s2, st, 5);
        expect(seg, l, 4, PMC_E_CORRUPT, "stream 0 with an unused byte");
        uint32_t s3[3] = {0, 1, 1};
        l = build_raw_segment(seg, 0, 2, len, s3, st, 3);
        expect(seg, l, 4, PMC_E_TRUNCATED, "stream 0 empty");
        uint32_t s4[3] = {1, 1, 3};
        l = build_raw_segment(seg, 0, 2, len, s4, st, 4);
        expect(seg, l, 4, PMC_E_TRUNCATED, "sizes exceed the segment");
        uint32_t s5[3] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
        l = build_raw_segment(seg, 0, 2, len, s5, st, 4);
        expect(seg, l, 4, PMC_E_TRUNCATED, "huge sizes");
        l = build_raw_segment(seg, 0, 2, len, sizes, st, 4);
        expect(seg, l, 3, PMC_E_CORRUPT, "n = 3: stream 3 must be empty");
        expect(seg, l, 1, PMC_E_CORRUPT, "n = 1: streams 1.. must be empty");
        expect(seg, l, 5, PMC_E_CORRUPT, "n = 5: stream 3 must be empty");
        expect(seg, l, 32, PMC_OK, "n = 32: 8 one-bit values per stream");
        expect(seg, l, 33, PMC_E_TRUNCATED, "n = 33: 9 values in stream 0");
        expect(seg, l, 36, PMC_E_TRUNCATED, "n = 36: 9 values per stream");
    }
}

/* a few valid segments of every kind, for the truncation / flip tests */
typedef struct {
    uint8_t *seg;
    size_t len, n;
} sample_t;

static size_t make_samples(sample_t *out, size_t max)
{
    size_t m = 0;
    rng_t r = {99};
    static const size_t ns[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 40, 100, 333, 4097, 9000};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0] && m < max; i++)
        for (int variant = 0; variant < 4 && m < max; variant++) {
            size_t n = ns[i];
            if ((n == 4097 && variant > 1) || (n > 4097 && (variant & 1))) /* 9000: gauss15 and spikes */
                continue;
            uint16_t *z = (uint16_t *)xmalloc(n * sizeof(uint16_t));
            static const int dd[4] = {D_GAUSS15, D_GAUSS30, D_SPIKES, D_GEO};
            gen(dd[variant], 3 + variant, z, n, rnext(&r));
            uint8_t *seg = (uint8_t *)xmalloc(4 * n + 64);
            refopt opt;
            memset(&opt, 0, sizeof opt);
            opt.force_huffman = n < 200; /* small ones would be raw */
            opt.force_k = n < 200 ? (int)rbelow(&r, 6) : -1;
            unsigned kk;
            size_t len = ref_encode(z, n, &opt, seg, &kk);
            out[m].seg = seg;
            out[m].len = len;
            out[m].n = n;
            m++;
            free(z);
        }
    return m;
}

static void test_truncation_and_flips(void)
{
    sample_t S[64];
    size_t m = make_samples(S, 64);
    long flips = 0, accepted = 0;
    for (size_t i = 0; i < m; i++) {
        int rc;
        CHECK(agree(S[i].seg, S[i].len, S[i].n, &rc) && rc == PMC_OK, "sample %zu rc=%d", i, rc);
        /* every proper prefix is truncated */
        for (size_t l = 0; l < S[i].len; l++) {
            CHECK(agree(S[i].seg, l, S[i].n, &rc) && rc == PMC_E_TRUNCATED, "sample %zu (n=%zu) prefix %zu/%zu rc=%d",
                  i, S[i].n, l, S[i].len, rc);
        }
        /* one extra trailing byte */
        uint8_t *ext = (uint8_t *)xmalloc(S[i].len + 1);
        memcpy(ext, S[i].seg, S[i].len);
        for (unsigned v = 0; v < 256; v += 85) {
            ext[S[i].len] = (uint8_t)v;
            CHECK(agree(ext, S[i].len + 1, S[i].n, &rc) && rc == PMC_E_CORRUPT, "sample %zu + byte %u rc=%d", i, v, rc);
        }
        free(ext);
        /* wrong n: usually rejected, but the bits may happen to fit; the decoders must agree */
        if (S[i].n > 1)
            CHECK(agree(S[i].seg, S[i].len, S[i].n - 1, &rc), "sample %zu n-1: decoders disagree", i);
        CHECK(agree(S[i].seg, S[i].len, S[i].n + 1, &rc), "sample %zu n+1: decoders disagree", i);
        /* single-bit flips: same verdict and values as the reference */
        uint8_t *f = (uint8_t *)xmalloc(S[i].len);
        size_t nbits = 8 * S[i].len, step = nbits > 4000 ? nbits / 4000 + 1 : 1;
        for (size_t b = 0; b < nbits; b += step) {
            memcpy(f, S[i].seg, S[i].len);
            f[b >> 3] ^= (uint8_t)(1u << (b & 7));
            CHECK(agree(f, S[i].len, S[i].n, &rc), "sample %zu flip %zu: decoders disagree (lib rc %d)", i, b, rc);
            flips++;
            accepted += rc == PMC_OK;
        }
        free(f);
    }
    printf("  %zu samples: all prefixes truncated, trailing bytes corrupt; %ld bit flips (%ld still decode)\n", m,
           flips, accepted);
    for (size_t i = 0; i < m; i++)
        free(S[i].seg);
}

/* random mutations and random bytes behind plausible headers */
static void test_fuzz(void)
{
    rng_t r = {2024};
    sample_t S[64];
    size_t m = make_samples(S, 64);
    long runs = 0, ok = 0;
    uint8_t *buf = (uint8_t *)xmalloc(70000);
    for (int t = 0; t < 20000; t++) {
        size_t len, n;
        if (t % 2 == 0) {
            const sample_t *s = &S[rbelow(&r, (uint32_t)m)];
            len = s->len;
            n = s->n;
            memcpy(buf, s->seg, len);
            unsigned nm = 1 + rbelow(&r, 8);
            for (unsigned j = 0; j < nm; j++) {
                size_t at = rbelow(&r, (uint32_t)len);
                switch (rbelow(&r, 4)) {
                case 0: buf[at] = (uint8_t)rnext(&r); break;
                case 1: buf[at] ^= (uint8_t)(1u << rbelow(&r, 8)); break;
                case 2: if (len > 1) len -= 1 + rbelow(&r, (uint32_t)(len - 1 < 16 ? len - 1 : 16)); break;
                default: n = n + rbelow(&r, 5); n = n > 3 ? n - 2 : 1; break;
                }
            }
        } else {
            len = 3 + rbelow(&r, 300);
            n = 1 + rbelow(&r, 600);
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)rnext(&r);
            buf[0] = 0;
            buf[1] = (uint8_t)rbelow(&r, 16);
            /* a complete table most of the time: lengths from a random Huffman tree */
            uint64_t c[NSYM] = {0};
            uint8_t ln[NSYM];
            unsigned used = 2 + rbelow(&r, 20), kk = buf[1];
            for (unsigned u = 0; u < used; u++) {
                unsigned s = rbelow(&r, NSYM);
                if (ref_possible(s, kk))
                    c[s] = 1 + rbelow(&r, 1000);
            }
            unsigned present = 0;
            for (unsigned s = 0; s < NSYM; s++)
                present += c[s] != 0;
            if (present < 2)
                c[0] = c[1] = 1;
            while (ref_huffman(c, ln) > 11)
                for (unsigned s = 0; s < NSYM; s++)
                    if (c[s])
                        c[s] = (c[s] >> 1) | 1;
            buf[2] = NSYM;
            for (unsigned s = 0; s < NSYM; s += 2)
                buf[3 + s / 2] = (uint8_t)(ln[s] | (ln[s + 1] << 4));
            size_t hdr = 15 + 37;
            if (len < hdr + 4)
                len = hdr + 4 + rbelow(&r, 200);
            for (size_t j = hdr; j < len; j++)
                buf[j] = (uint8_t)rnext(&r);
            size_t body = len - hdr;
            for (int i = 0; i < 3; i++)
                pmc_wr32(buf + 40 + 4 * i, rbelow(&r, (uint32_t)(body / 3 + 2)));
        }
        int rc;
        CHECK(agree(buf, len, n, &rc), "fuzz %d: decoders disagree (lib rc %d)", t, rc);
        runs++;
        ok += rc == PMC_OK;
    }
    printf("  %ld fuzz cases agree with the reference (%ld decode)\n", runs, ok);
    free(buf);
    for (size_t i = 0; i < m; i++)
        free(S[i].seg);
}

static void test_params(void)
{
    uint16_t z[4] = {1, 2, 3, 4};
    uint8_t dst[64];
    size_t w;
    CHECK(pmc_segment_encode(z, 4, dst, pmc_segment_bound(4) - 1, &w, NULL) == PMC_E_OUTPUT, "small cap");
    CHECK(pmc_segment_encode(NULL, 4, dst, sizeof dst, &w, NULL) == PMC_E_PARAM, "null z");
    CHECK(pmc_segment_encode(z, 4, NULL, sizeof dst, &w, NULL) == PMC_E_PARAM, "null dst");
    CHECK(pmc_segment_encode(z, 4, dst, sizeof dst, NULL, NULL) == PMC_E_PARAM, "null written");
    CHECK(pmc_segment_bound(SIZE_MAX) == SIZE_MAX, "bound saturates");
    CHECK(pmc_segment_decode(NULL, 5, z, 4, NULL) == PMC_E_PARAM, "null src");
    CHECK(pmc_segment_decode(dst, 5, NULL, 4, NULL) == PMC_E_PARAM, "null z");
}

/* ------------------------------------------------------------------------ */
/* CRC-32C */

static uint32_t crc_bitwise(const uint8_t *p, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

static void test_crc(void)
{
    const uint8_t *v = (const uint8_t *)"123456789";
    CHECK(pmc_crc32c(v, 9, PMC_SIMD_PORTABLE) == 0xE3069283u, "crc portable check value");
    CHECK(pmc_crc32c(v, 9, PMC_SIMD_AUTO) == 0xE3069283u, "crc auto check value");
    CHECK(pmc_crc32c(v, 0, PMC_SIMD_AUTO) == 0 && pmc_crc32c(NULL, 0, PMC_SIMD_PORTABLE) == 0, "crc empty");
    uint8_t zeros[32] = {0};
    CHECK(pmc_crc32c(zeros, 32, PMC_SIMD_PORTABLE) == 0x8A9136AAu, "crc of 32 zero bytes");
    rng_t r = {5};
    uint8_t *buf = (uint8_t *)xmalloc(4096 + 16);
    for (size_t i = 0; i < 4096 + 16; i++)
        buf[i] = (uint8_t)rnext(&r);
    long n = 0;
    for (size_t start = 0; start < 16; start++)
        for (size_t len = 0; len <= 300; len++) {
            uint8_t *c = (uint8_t *)xmalloc(len); /* exact-size copy */
            memcpy(c, buf + start, len);
            uint32_t a = pmc_crc32c(c, len, PMC_SIMD_PORTABLE), b = pmc_crc32c(c, len, PMC_SIMD_AUTO);
            uint32_t ref = crc_bitwise(buf + start, len);
            CHECK(a == ref && b == ref, "crc start %zu len %zu: %08x %08x %08x", start, len, a, b, ref);
            /* unaligned starts inside one block */
            uint32_t a2 = pmc_crc32c(buf + start, len, PMC_SIMD_PORTABLE), b2 = pmc_crc32c(buf + start, len, PMC_SIMD_AUTO);
            CHECK(a2 == ref && b2 == ref, "crc in-place start %zu len %zu", start, len);
            free(c);
            n++;
        }
    uint32_t a = pmc_crc32c(buf + 3, 4096, PMC_SIMD_PORTABLE), b = pmc_crc32c(buf + 3, 4096, PMC_SIMD_AUTO);
    CHECK(a == b && a == crc_bitwise(buf + 3, 4096), "crc 4096");
    printf("  crc32c: %ld buffers, portable == sse4.2 == bitwise\n", n);
    free(buf);
}

/* ------------------------------------------------------------------------ */
/* microbenchmark */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench(void)
{
    /* every run times every distribution in turn, so that the slow and fast
     * phases of a shared machine spread over all of them */
    const size_t seg = 262144, nseg = 16, n = seg * nseg;
    enum { RUNS = 11, ND = 9 };
    static const struct {
        int d, p;
    } dists[ND] = {{D_GAUSS15, 0}, {D_GAUSS30, 0}, {D_GAUSSP, 5}, {D_GAUSSP, 100}, {D_GAUSSP, 1000},
                   {D_GAUSSP, 10000}, {D_FIBGEO, 0}, {D_SPIKES, 7}, {D_NOISE, 0}};
    size_t bound = pmc_segment_bound(seg);
    uint16_t *z[ND], *back = (uint16_t *)xmalloc(n * sizeof(uint16_t));
    uint8_t *enc[ND];
    size_t lens[ND][16];
    double te[ND][RUNS], td[ND][RUNS];
    for (int d = 0; d < ND; d++) {
        z[d] = (uint16_t *)xmalloc(n * sizeof(uint16_t));
        enc[d] = (uint8_t *)xmalloc(nseg * bound);
        gen(dists[d].d, dists[d].p, z[d], n, 1);
    }
    printf("benchmark: %zu values per distribution in segments of %zu, median of %d runs\n", n, seg, RUNS);
    for (int run = 0; run < RUNS; run++)
        for (int d = 0; d < ND; d++) {
            double t0 = now();
            for (size_t s = 0; s < nseg; s++)
                if (pmc_segment_encode(z[d] + s * seg, seg, enc[d] + s * bound, bound, &lens[d][s], NULL) != PMC_OK)
                    failures++;
            double t1 = now();
            for (size_t s = 0; s < nseg; s++)
                if (pmc_segment_decode(enc[d] + s * bound, lens[d][s], back + s * seg, seg, NULL) != PMC_OK)
                    failures++;
            double t2 = now();
            te[d][run] = t1 - t0;
            td[d][run] = t2 - t1;
            if (run == 0)
                CHECK(memcmp(z[d], back, n * sizeof(uint16_t)) == 0, "bench round trip");
        }
    for (int d = 0; d < ND; d++) {
        size_t total = 0;
        for (size_t s = 0; s < nseg; s++)
            total += lens[d][s];
        qsort(te[d], RUNS, sizeof(double), cmp_double);
        qsort(td[d], RUNS, sizeof(double), cmp_double);
        char name[32], kk[16];
        if (dists[d].p)
            snprintf(name, sizeof name, "%s(%d)", dist_name[dists[d].d], dists[d].p);
        else
            snprintf(name, sizeof name, "%s", dist_name[dists[d].d]);
        if (enc[d][0] == 0)
            snprintf(kk, sizeof kk, "k=%u", enc[d][1]);
        else
            snprintf(kk, sizeof kk, "%s", enc[d][0] == 1 ? "const" : "raw");
        printf("  %-12s %-5s %6.3f bits/value   encode %7.1f M values/s (best %7.1f)   decode %7.1f M values/s "
               "(best %7.1f)\n",
               name, kk, 8.0 * (double)total / (double)n, (double)n / te[d][RUNS / 2] / 1e6, (double)n / te[d][0] / 1e6,
               (double)n / td[d][RUNS / 2] / 1e6, (double)n / td[d][0] / 1e6);
    }
    /* crc32c */
    {
        size_t bytes = n * sizeof(uint16_t);
        double tp[RUNS], ts[RUNS];
        volatile uint32_t sink = 0;
        for (int run = 0; run < RUNS; run++) {
            double t0 = now();
            sink ^= pmc_crc32c((const uint8_t *)z[0], bytes, PMC_SIMD_PORTABLE);
            double t1 = now();
            sink ^= pmc_crc32c((const uint8_t *)z[0], bytes, PMC_SIMD_AUTO);
            double t2 = now();
            tp[run] = t1 - t0;
            ts[run] = t2 - t1;
        }
        (void)sink;
        qsort(tp, RUNS, sizeof(double), cmp_double);
        qsort(ts, RUNS, sizeof(double), cmp_double);
        printf("  crc32c: portable %.2f GB/s, auto (sse4.2) %.2f GB/s\n", (double)bytes / tp[RUNS / 2] / 1e9,
               (double)bytes / ts[RUNS / 2] / 1e9);
    }
    for (int d = 0; d < ND; d++) {
        free(z[d]);
        free(enc[d]);
    }
    free(back);
}

int main(int argc, char **argv)
{
    int run_bench = 0, run_tests = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bench"))
            run_bench = 1;
        else if (!strcmp(argv[i], "--bench-only"))
            run_bench = 1, run_tests = 0;
    }
    if (run_tests) {
        printf("round trips\n");
        test_roundtrips();
        printf("large segments (2^24 values)\n");
        test_large();
        printf("SIMD and portable encoders\n");
        test_simd_paths();
        printf("forced Huffman segments\n");
        test_forced_huffman();
        printf("invalid segments\n");
        test_invalid();
        printf("truncations, trailing bytes, bit flips\n");
        test_truncation_and_flips();
        printf("fuzz\n");
        test_fuzz();
        test_params();
        printf("crc32c\n");
        test_crc();
        printf("%ld checks, %d failures\n", checks, failures);
    }
    if (run_bench)
        bench();
    return failures ? 1 : 0;
}
