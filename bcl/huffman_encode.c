/* huffman_encode.c - the encoder of entropy-coded segments (docs/FORMAT.md,
 * "Entropy-coded segment").
 *
 * Encoder
 *   1. One pass counts the values in a histogram of 4032 indexes: z itself
 *      below 2048, z >> 5 above.  The symbol of a value depends only on its
 *      index, whatever k, so the counts give the symbol counts and the
 *      exact number of bits of the segment for every k; k is the one giving
 *      the fewest bits.
 *   2. Huffman code lengths (limited to 11 bits by halving the counts, ties
 *      broken as huffman_lengths.h describes), then the mode: raw when the
 *      Huffman segment cannot be smaller than 1 + 2n bytes.
 *   3. Each stream is written with a 64-bit accumulator flushed by an
 *      unconditional 8-byte store every M values, M literals fitting 56 bits
 *      (escapes flush before and after themselves).  Literal values come from
 *      a per-segment table of their bit patterns when k <= 6.  Streams are
 *      written in order, so a store that runs past the end of stream i only
 *      touches bytes that stream i+1 (or the slack of pmc_segment_bound) gets
 *      afterwards.
 *
 * Re-entrant: no mutable static state.  Working memory: the histogram,
 * PMC_HUF_ENC_WS bytes of the caller's scratch (or an allocation).
 */
#include "huffman_internal.h"
#include "huffman_lengths.h"

#if PMC_X86
#include <immintrin.h>
#endif

/* ------------------------------------------------------------------------ */
/* encoder */

size_t pmc_segment_bound(size_t n)
{
    /* A Huffman segment is only kept when smaller than 1 + 2n bytes, and is
     * only attempted when it cannot exceed that by more than 3 bytes (see
     * pmc_huf_encode); the last 8-byte store writes at most 8 bytes past its
     * end.  A raw segment is 1 + 2n bytes, a constant one 3. */
    if (n > (SIZE_MAX - BOUND_SLACK) / 2)
        return SIZE_MAX;
    return 2 * n + BOUND_SLACK;
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

#define SMALL_BINS 8u /* values counted by vector comparisons */

#if PMC_X86

/* The counts of the first 16 * floor(n / 16) values, for segments whose
 * values are nearly all below SMALL_BINS (as quantized residuals are):
 * those by comparing 16 values at a time with each of 0 .. SMALL_BINS - 1
 * and subtracting the all-ones matches from 16-bit lane counters (emptied
 * into H[0] at least every 65535 vectors, so they cannot overflow); the
 * others one by one into H[1].  Returns how many values it counted. */
PMC_TARGET_AVX2_BMI2 static size_t histogram_small_avx2(const uint16_t *z, size_t n, uint32_t (*H)[HROW])
{
    const __m256i top = _mm256_set1_epi16((short)(SMALL_BINS - 1));
    size_t j = 0;
    while (n - j >= 16) {
        const size_t end = n - j > (size_t)65535 * 16 ? j + (size_t)65535 * 16 : n;
        __m256i acc[SMALL_BINS];
        for (unsigned b = 0; b < SMALL_BINS; b++)
            acc[b] = _mm256_setzero_si256();
        for (; end - j >= 16; j += 16) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(z + j));
            for (unsigned b = 0; b < SMALL_BINS; b++)
                acc[b] = _mm256_sub_epi16(acc[b], _mm256_cmpeq_epi16(v, _mm256_set1_epi16((short)b)));
            /* two mask bits per 16-bit lane; the even ones say "below SMALL_BINS" */
            const uint32_t small = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_min_epu16(v, top), v));
            for (uint32_t m = ~small & 0x55555555u; m; m &= m - 1)
                H[1][hist_index(z[j + lsb32(m) / 2])]++;
        }
        for (unsigned b = 0; b < SMALL_BINS; b++) {
            uint16_t lanes[16];
            _mm256_storeu_si256((__m256i *)(void *)lanes, acc[b]);
            uint32_t sum = 0;
            for (unsigned i = 0; i < 16; i++)
                sum += lanes[i];
            H[0][b] += sum;
        }
    }
    return j;
}
#endif

/* The histogram and the bit writer are compiled twice: portable, and for
 * CPUs with AVX2 and BMI2 (shlx/shrx: shifts by a register without the
 * flags dependency), chosen at run time; both give the same counts and
 * bytes.  ATTR is the target attribute, or nothing; SMALL(z, n, H) counts
 * a first part of the values when a sample of 64 finds at least 15/16 of
 * them below SMALL_BINS, and returns how many (0: none). */
#define HISTOGRAM_FN(NAME, ATTR, SMALL)                                                                          \
    ATTR static void NAME(const uint16_t *z, size_t n, uint32_t (*H)[HROW])                                      \
    {                                                                                                            \
        const size_t step = n / 64 + 1;                                                                          \
        unsigned sampled = 0, big = 0, small = 0;                                                                \
        for (size_t i = 0; i < n; i += step) {                                                                   \
            sampled++;                                                                                           \
            big += z[i] >= HDIRECT;                                                                              \
            small += z[i] < SMALL_BINS;                                                                          \
        }                                                                                                        \
        size_t j = small * 16 >= sampled * 15 ? SMALL(z, n, H) : 0;                                              \
        if (big * 16 <= sampled || (sampled - big) * 16 <= sampled)                                              \
            HIST_LOOP(hist_index);                                                                               \
        else                                                                                                     \
            HIST_LOOP(hist_index_nb);                                                                            \
    }

#define NO_SMALL(z, n, H) ((void)(z), (void)(n), (void)(H), (size_t)0)
HISTOGRAM_FN(histogram_portable, PMC_TARGET_NONE, NO_SMALL)
#if PMC_X86
HISTOGRAM_FN(histogram_bmi2, PMC_TARGET_AVX2_BMI2, histogram_small_avx2)
#endif

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
#define DEFINE_ENC_STREAM(M, SUFFIX, ATTR)                                                                       \
    ATTR static uint8_t *enc_stream_##M##_##SUFFIX(const uint16_t *z, size_t cnt, uint8_t *p, const uint32_t *L,  \
                                                   const uint8_t *LT, unsigned lutn, unsigned litlim,             \
                                                   const uint64_t *E, unsigned k)                                 \
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

typedef uint8_t *(*enc_stream_fn)(const uint16_t *, size_t, uint8_t *, const uint32_t *, const uint8_t *, unsigned,
                                   unsigned, const uint64_t *, unsigned);

DEFINE_ENC_STREAM(2, portable, PMC_TARGET_NONE)
DEFINE_ENC_STREAM(3, portable, PMC_TARGET_NONE)
DEFINE_ENC_STREAM(4, portable, PMC_TARGET_NONE)
DEFINE_ENC_STREAM(5, portable, PMC_TARGET_NONE)
#if PMC_X86
DEFINE_ENC_STREAM(2, bmi2, PMC_TARGET_AVX2_BMI2)
DEFINE_ENC_STREAM(3, bmi2, PMC_TARGET_AVX2_BMI2)
DEFINE_ENC_STREAM(4, bmi2, PMC_TARGET_AVX2_BMI2)
DEFINE_ENC_STREAM(5, bmi2, PMC_TARGET_AVX2_BMI2)
#endif

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
        pmc_huf_limited_lengths(tk, NSYM, MAXLEN, lk);
    } else {
        pmc_huf_lengths(tk, NSYM, lk);
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

int pmc_huf_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written, void *ws, int simd)
{
    if (!dst || !written || (n && !z))
        return PMC_E_PARAM;
    if (n > (SIZE_MAX - BOUND_SLACK) / 2)
        return PMC_E_PARAM;
    if (cap < pmc_segment_bound(n))
        return PMC_E_OUTPUT;
    if (n == 0)
        return write_constant(0, dst, written);
    /* The stream sizes are u32 and the counts below 32-bit: a segment of more
     * than 2^32 - 1 values is stored raw (the container never makes one). */
    if ((uint64_t)n > UINT32_MAX)
        return write_raw(z, n, dst, written);

    /* the histogram; its memory is reused for the value tables L, LT below */
    uint32_t(*const H)[HROW] = (uint32_t(*)[HROW])ws;
    memset(H, 0, (size_t)HCOPIES * HROW * sizeof(uint32_t));
#if PMC_X86
    const int fast = pmc_use_avx2_bmi2(simd);
    if (fast)
        histogram_bmi2(z, n, H);
    else
#else
    (void)simd;
#endif
        histogram_portable(z, n, H);

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
    const unsigned M = maxlit ? 56 / maxlit : 5; /* values between flushes, 2 .. 5 */
    static const enc_stream_fn portable[4] = {enc_stream_2_portable, enc_stream_3_portable, enc_stream_4_portable,
                                              enc_stream_5_portable};
#if PMC_X86
    static const enc_stream_fn bmi2[4] = {enc_stream_2_bmi2, enc_stream_3_bmi2, enc_stream_4_bmi2,
                                          enc_stream_5_bmi2};
    const enc_stream_fn enc_stream = (fast ? bmi2 : portable)[(M >= 5 ? 5 : M) - 2];
#else
    const enc_stream_fn enc_stream = portable[(M >= 5 ? 5 : M) - 2];
#endif
    for (unsigned i = 0; i < 4; i++) {
        const uint16_t *zi = z + (size_t)i * q;
        const size_t cnt = stream_count(n, q, i);
        uint8_t *const start = p;
        p = enc_stream(zi, cnt, p, L, LT, lutn, litlim, E, k);
        if (i < 3)
            pmc_wr32(sizes + 4 * i, (uint32_t)(p - start));
    }
    const size_t w = (size_t)(p - dst);
    if (w >= 1 + 2 * n)
        return write_raw(z, n, dst, written);
    *written = w;
    return PMC_OK;
}

/* the workspace is the histogram */
typedef char pmc_check_encode_scratch[(size_t)HCOPIES * HROW * sizeof(uint32_t) <= PMC_HUF_ENC_WS ? 1 : -1];

int pmc_segment_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written, void *scratch)
{
    pmc_arena a;
    int rc = pmc_arena_open(&a, scratch, PMC_SEGMENT_ENCODE_SCRATCH, PMC_HUF_ENC_WS);
    if (rc != PMC_OK)
        return rc;
    rc = pmc_huf_encode(z, n, dst, cap, written, pmc_arena_take(&a, PMC_HUF_ENC_WS), PMC_SIMD_AUTO);
    pmc_arena_close(&a);
    return rc;
}
