/* dquant.c - the subtractively dithered camera-model quantizer of version 2
 * streams (docs/FORMAT.md, "Dithered quantizer"): its tables, the dither
 * phases, and the kernels that map values to codes and codes to values.
 *
 * A value x has a fine index F[x] on a grid PMQ_K times finer than the
 * quantization step; element i of a chunk, with dither phase k_i, gets the
 * code (F[x] + k_i) >> 5 and decodes to rec[32 q + 31 - k_i], an integer of
 * the bin that code and phase describe (so decoding and re-encoding give the
 * same codes).  The phases of the first PMQ_ANCHORS elements chain on the
 * codes before them; the other phases come from a seed those codes set, so
 * chunks holding different data get independent phases. */
#include "quant.h"

#include <math.h>
#if PMC_X86
#include <immintrin.h>
#endif
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SAT_MIN 1u
#define SAT_MAX (PMQ_TABLE_SIZE - 1u)

/* The 32-bit mixing function of the phases (an xor-shift-multiply hash). */
static inline uint32_t mix(uint32_t v)
{
    v ^= v >> 16;
    v *= 0x21F0AAADu;
    v ^= v >> 15;
    v *= 0x735A2D97u;
    v ^= v >> 15;
    return v;
}

static inline uint32_t phase(uint32_t state, size_t i) { return mix(state ^ (uint32_t)i) >> (32 - PMQ_KBITS); }

static inline uint32_t chain(uint32_t state, size_t i, uint32_t code)
{
    return mix(state ^ (((uint32_t)i << 16) | code));
}

static int params_ok(const double params[4], uint32_t saturation)
{
    for (int i = 0; i < 4; i++) {
        double lo, hi;
        pmc_quant_limits(i, &lo, &hi);
        if (!(params[i] >= lo && params[i] <= hi)) /* NaN fails both */
            return 0;
    }
    return saturation >= SAT_MIN && saturation <= SAT_MAX;
}

/* R[x] = floor(32 t(x) / step + 0.5) for x = 0..sat, and the fine index
 * F[x] of docs/FORMAT.md: increments of R capped at 32, forced to 32 into 1
 * and into sat (so 0 and sat have bins of their own), constant above sat. */
static uint32_t fine_index(const double params[4], uint32_t sat, double *R, uint32_t *F)
{
    const double offset = params[0], gain = params[1], rn = params[2], step = params[3];
    const double v0 = 0.375 + rn * rn, sv0 = sqrt(v0);
    for (uint32_t x = 0; x <= sat; x++) {
        const double e = ((double)x - offset) / gain;
        const double t = e >= 0.0 ? 2.0 * sqrt(e + v0) : 2.0 * sv0 + e / sv0;
        R[x] = floor((double)PMQ_K * t / step + 0.5);
    }
    F[0] = 0;
    for (uint32_t x = 1; x <= sat; x++) {
        const double c = R[x] - R[x - 1];
        F[x] = F[x - 1] + ((x == 1 || x == sat || c > (double)PMQ_K) ? (uint32_t)PMQ_K : (uint32_t)c);
    }
    for (uint32_t x = sat + 1; x < PMQ_TABLE_SIZE; x++)
        F[x] = F[sat];
    return F[sat];
}

size_t pmc_dquant_size(double offset, double gain, double read_noise, double step, uint32_t saturation)
{
    const double params[4] = {offset, gain, read_noise, step};
    if (!params_ok(params, saturation))
        return 0;
    double *R = (double *)malloc((size_t)(saturation + 1) * sizeof(double));
    uint32_t *F = (uint32_t *)malloc(PMQ_TABLE_SIZE * sizeof(uint32_t));
    size_t size = 0;
    if (R && F)
        size = offsetof(struct pmc_dquant, rec) + ((size_t)fine_index(params, saturation, R, F) + PMQ_K) * 2;
    free(R);
    free(F);
    return size;
}

/* The value window G decodes to when it holds three integers or more: the
 * inverse transform at the window's centre in t, less the share of the
 * step^2/48 electrons that the curvature of the inverse adds to the mean of
 * a symmetric error in t (none below the offset, where the inverse is
 * linear, all of it a step above), rounded, inside lo..hi. */
static uint16_t continuous_value(int64_t G, uint32_t lo, uint32_t hi, const double params[4], const double *R,
                                 const uint32_t *F)
{
    const double offset = params[0], gain = params[1], rn = params[2], step = params[3];
    const double v0 = 0.375 + rn * rn, sv0 = sqrt(v0), tk = 2.0 * sv0;
    const double D = (double)F[lo] - (R[lo] - R[0]); /* the shift the capped increments put below lo */
    double u = (double)G - D;
    u = u + R[0];
    u = u + 15.5;
    const double tc = u * step / 32.0;
    double e;
    if (tc >= tk) {
        const double h = tc / 2.0;
        e = h * h - v0;
    } else {
        e = sv0 * (tc - tk);
    }
    double ramp = (tc - (tk - step / 2.0)) / step;
    ramp = ramp < 0.0 ? 0.0 : ramp > 1.0 ? 1.0 : ramp;
    const double y = offset + gain * e - ramp * (gain * step * step / 48.0);
    double v = floor(y + 0.5);
    v = v < (double)lo ? (double)lo : v > (double)hi ? (double)hi : v;
    return (uint16_t)v;
}

/* rec[G + 31] for G = -31 .. fmax (docs/FORMAT.md): the integers lo..hi whose
 * fine index lies in G .. G + 31 form the bin of window G; a bin of one
 * integer decodes to it, of three or more to continuous_value, and the bins
 * of two integers {x, x + 1} are split, x by x, so that the 32 windows
 * holding each x decode to x on average.  lo and hi: room for the bounds of
 * every window (fmax + 32 entries each). */
static void build_decode(const double params[4], uint32_t sat, const double *R, const uint32_t *F, uint16_t *rec,
                         uint16_t *lo, uint16_t *hi)
{
    const size_t nwin = (size_t)F[sat] + PMQ_K;
    uint32_t a = 0, b = 0;
    for (size_t w = 0; w < nwin; w++) {
        const int64_t G = (int64_t)w - (PMQ_K - 1);
        while ((int64_t)F[a] < G) /* the first x with F[x] >= G (there is one: G <= F[sat]) */
            a++;
        while (b < sat && (int64_t)F[b + 1] <= G + (PMQ_K - 1))
            b++;
        /* b >= a: increments of at most 32 put the fine index of some x in every window */
        lo[w] = (uint16_t)a;
        hi[w] = (uint16_t)b;
        rec[w] = b - a >= 2 ? continuous_value(G, a, b, params, R, F) : (uint16_t)a;
    }
    /* for x ascending: of the windows holding {x, x + 1} (consecutive ones), the U highest decode to x + 1 */
    int64_t w_prev = 0, u_prev = 0;
    for (uint32_t x = 0; x <= sat; x++) {
        int64_t E = 0, w = 0;
        size_t first = 0;
        for (size_t i = F[x]; i <= (size_t)F[x] + (PMQ_K - 1); i++) { /* the windows holding x */
            const uint32_t size = (uint32_t)hi[i] - lo[i];
            if (size >= 2) {
                E += (int64_t)rec[i] - (int64_t)x;
            } else if (size == 1 && lo[i] == x) {
                first = w ? first : i;
                w++;
            }
        }
        int64_t U = w_prev - u_prev - E;
        U = U < 0 ? 0 : U > w ? w : U;
        for (int64_t j = 0; j < w; j++)
            rec[first + (size_t)j] = (uint16_t)(j >= w - U ? x + 1 : x);
        w_prev = w;
        u_prev = U;
    }
}

int pmc_dquant_init(pmc_dquant *q, size_t size, double offset, double gain, double read_noise, double step,
                    uint32_t saturation)
{
    const double params[4] = {offset, gain, read_noise, step};
    if (!q || !params_ok(params, saturation))
        return PMC_E_PARAM;
    q->saturation = 0; /* unusable until complete */
    double *R = (double *)malloc((size_t)(saturation + 1) * sizeof(double));
    if (!R)
        return PMC_E_NOMEM;
    const uint32_t fmax = fine_index(params, saturation, R, q->fine);
    const size_t nwin = (size_t)fmax + PMQ_K;
    if (size < offsetof(struct pmc_dquant, rec) + nwin * 2) {
        free(R);
        return PMC_E_OUTPUT;
    }
    uint16_t *bounds = (uint16_t *)malloc(2 * nwin * sizeof(uint16_t));
    if (!bounds) {
        free(R);
        return PMC_E_NOMEM;
    }
    build_decode(params, saturation, R, q->fine, q->rec, bounds, bounds + nwin);
    free(bounds);
    free(R);
    memcpy(q->params, params, sizeof params);
    q->fmax = fmax;
    q->saturation = saturation;
    return PMC_OK;
}

void pmc_dquant_params(const pmc_dquant *q, double params[4]) { memcpy(params, q->params, sizeof q->params); }

uint32_t pmc_dquant_saturation(const pmc_dquant *q) { return q->saturation; }

size_t pmc_dquant_levels(const pmc_dquant *q) { return (size_t)q->fmax + PMQ_K; }

const uint32_t *pmc_dquant_fine_table(const pmc_dquant *q) { return q->fine; }

const uint16_t *pmc_dquant_decode_table(const pmc_dquant *q) { return q->rec; }

int pmq_dmatches(const pmc_dquant *q, const double params[4], uint32_t saturation)
{
    int same = q->saturation != 0 && q->saturation == saturation;
    for (int i = 0; i < 4; i++)
        same &= q->params[i] == params[i];
    return same;
}

/* After the anchors, elements are handled a block at a time: the table lookups in plain loops, and the phases
 * with the arithmetic around them in loops the compiler vectorizes (the encoder's written once and compiled for
 * each target); AVX2 has kernels of its own for the common cases.  Every path gives the same integers. */
#define BLOCK 256

/* codes[j] = (fx[j] + phase of element index0 + j) >> 5 */
#define CODES_FN(NAME, ATTR)                                                                                     \
    ATTR static void NAME(uint32_t state, size_t index0, size_t m, const uint32_t *fx, uint16_t *codes)         \
    {                                                                                                            \
        const uint32_t i0 = (uint32_t)index0;                                                                    \
        for (size_t j = 0; j < m; j++)                                                                           \
            codes[j] = (uint16_t)((fx[j] + (mix(state ^ (i0 + (uint32_t)j)) >> (32 - PMQ_KBITS))) >> PMQ_KBITS); \
    }

/* at[j] = the window index of codes[j] with its phase, or 0 when that is not below levels; returns the largest
 * window index (the portable path; values_avx2 does this and the lookups in one pass) */
static uint32_t windows_portable(uint32_t state, size_t index0, size_t m, const uint16_t *codes, uint32_t levels,
                                 uint32_t *at)
{
    const uint32_t i0 = (uint32_t)index0;
    uint32_t top = 0;
    for (size_t j = 0; j < m; j++) {
        const uint32_t k = mix(state ^ (i0 + (uint32_t)j)) >> (32 - PMQ_KBITS);
        const uint32_t w = ((uint32_t)codes[j] << PMQ_KBITS) + (PMQ_K - 1) - k;
        top = w > top ? w : top;
        at[j] = w < levels ? w : 0;
    }
    return top;
}

CODES_FN(codes_portable, PMC_TARGET_NONE)
#if PMC_X86
CODES_FN(codes_avx2, PMC_TARGET_AVX2)

/* mix() on eight lanes */
PMC_TARGET_AVX2 static inline __m256i mix8(__m256i v)
{
    v = _mm256_xor_si256(v, _mm256_srli_epi32(v, 16));
    v = _mm256_mullo_epi32(v, _mm256_set1_epi32((int)0x21F0AAADu));
    v = _mm256_xor_si256(v, _mm256_srli_epi32(v, 15));
    v = _mm256_mullo_epi32(v, _mm256_set1_epi32((int)0x735A2D97u));
    return _mm256_xor_si256(v, _mm256_srli_epi32(v, 15));
}

/* codes of uint16 values in[0..m): as codes_portable of their fine indexes, 16 at a time, the lookups as scalar
 * loads (faster than gathers on the CPUs measured) and the phases and codes in vectors */
PMC_TARGET_AVX2 static void codes_values_avx2(uint32_t state, size_t index0, size_t m, const uint32_t *F,
                                              const uint16_t *in, uint16_t *codes)
{
    const uint32_t i0 = (uint32_t)index0;
    const __m256i s8 = _mm256_set1_epi32((int)state), step = _mm256_set1_epi32(8);
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)i0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    size_t j = 0;
    for (; j + 16 <= m; j += 16) {
        uint32_t fx[16];
        for (int l = 0; l < 16; l++)
            fx[l] = F[in[j + (size_t)l]];
        const __m256i f0 = _mm256_loadu_si256((const __m256i *)(const void *)fx);
        const __m256i f1 = _mm256_loadu_si256((const __m256i *)(const void *)(fx + 8));
        const __m256i k0 = _mm256_srli_epi32(mix8(_mm256_xor_si256(s8, idx)), 32 - PMQ_KBITS);
        idx = _mm256_add_epi32(idx, step);
        const __m256i k1 = _mm256_srli_epi32(mix8(_mm256_xor_si256(s8, idx)), 32 - PMQ_KBITS);
        idx = _mm256_add_epi32(idx, step);
        const __m256i c0 = _mm256_srli_epi32(_mm256_add_epi32(f0, k0), PMQ_KBITS);
        const __m256i c1 = _mm256_srli_epi32(_mm256_add_epi32(f1, k1), PMQ_KBITS);
        /* codes < 2^16: an unsigned saturating pack leaves them as they are */
        const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(c0, c1), 0xD8);
        _mm256_storeu_si256((__m256i *)(void *)(codes + j), packed);
    }
    for (; j < m; j++)
        codes[j] = (uint16_t)((F[in[j]] + phase(state, index0 + j)) >> PMQ_KBITS);
}

/* values of codes[0..m) as windows_portable and the lookups after it, in one pass: phases, windows and the range
 * check 16 at a time in vectors, the lookups as scalar loads (faster than gathers on the CPUs measured); returns
 * the largest window index.  codes and out may alias: each 16 codes are read before their values are written. */
PMC_TARGET_AVX2 static uint32_t values_avx2(const pmc_dquant *q, uint32_t levels, uint32_t state, size_t index0,
                                            size_t m, const uint16_t *codes, uint16_t *out)
{
    const uint16_t *rec = q->rec;
    const __m256i s8 = _mm256_set1_epi32((int)state), eight = _mm256_set1_epi32(8);
    const __m256i last = _mm256_set1_epi32(PMQ_K - 1), lv = _mm256_set1_epi32((int)levels);
    __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)(uint32_t)index0),
                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256i top = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 16 <= m; j += 16) {
        const __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(codes + j));
        const __m256i c0 = _mm256_cvtepu16_epi32(_mm256_castsi256_si128(c));
        const __m256i c1 = _mm256_cvtepu16_epi32(_mm256_extracti128_si256(c, 1));
        const __m256i k0 = _mm256_srli_epi32(mix8(_mm256_xor_si256(s8, idx)), 32 - PMQ_KBITS);
        idx = _mm256_add_epi32(idx, eight);
        const __m256i k1 = _mm256_srli_epi32(mix8(_mm256_xor_si256(s8, idx)), 32 - PMQ_KBITS);
        idx = _mm256_add_epi32(idx, eight);
        /* windows < 2^22: signed comparisons are exact */
        const __m256i w0 = _mm256_add_epi32(_mm256_slli_epi32(c0, PMQ_KBITS), _mm256_sub_epi32(last, k0));
        const __m256i w1 = _mm256_add_epi32(_mm256_slli_epi32(c1, PMQ_KBITS), _mm256_sub_epi32(last, k1));
        top = _mm256_max_epi32(top, _mm256_max_epi32(w0, w1));
        const __m256i a0 = _mm256_and_si256(w0, _mm256_cmpgt_epi32(lv, w0));
        const __m256i a1 = _mm256_and_si256(w1, _mm256_cmpgt_epi32(lv, w1));
        uint32_t at[16];
        _mm256_storeu_si256((__m256i *)(void *)at, a0);
        _mm256_storeu_si256((__m256i *)(void *)(at + 8), a1);
        for (int l = 0; l < 16; l++)
            out[j + (size_t)l] = rec[at[l]];
    }
    __m128i t = _mm_max_epi32(_mm256_castsi256_si128(top), _mm256_extracti128_si256(top, 1));
    t = _mm_max_epi32(t, _mm_shuffle_epi32(t, 0x4E));
    t = _mm_max_epi32(t, _mm_shuffle_epi32(t, 0xB1));
    uint32_t worst = (uint32_t)_mm_cvtsi128_si32(t);
    for (; j < m; j++) {
        const uint32_t w = ((uint32_t)codes[j] << PMQ_KBITS) + (PMQ_K - 1) - phase(state, index0 + j);
        worst = w > worst ? w : worst;
        out[j] = rec[w < levels ? w : 0];
    }
    return worst;
}
#endif

void pmq_dmap(const pmc_dquant *q, const uint16_t *in, const uint8_t *in8, size_t n, size_t index0,
              uint32_t *state, uint16_t *out, int avx2)
{
    const uint32_t *F = q->fine;
    uint32_t s = *state;
    size_t i = 0;
    for (; i < n && index0 + i < PMQ_ANCHORS; i++) { /* anchors: each phase chains on the codes before it */
        const uint32_t x = in ? in[i] : in8[i];
        const uint32_t code = (F[x] + phase(s, index0 + i)) >> PMQ_KBITS;
        s = chain(s, index0 + i, code);
        out[i] = (uint16_t)code;
    }
    *state = s;
    uint32_t fx[BLOCK];
    while (i < n) { /* in and out may alias: each block is read before it is written */
        const size_t m = n - i < BLOCK ? n - i : BLOCK;
#if PMC_X86
        if (avx2 && in) {
            codes_values_avx2(s, index0 + i, m, F, in + i, out + i);
            i += m;
            continue;
        }
#endif
        if (in)
            for (size_t j = 0; j < m; j++)
                fx[j] = F[in[i + j]];
        else
            for (size_t j = 0; j < m; j++)
                fx[j] = F[in8[i + j]];
#if PMC_X86
        if (avx2)
            codes_avx2(s, index0 + i, m, fx, out + i);
        else
#endif
            codes_portable(s, index0 + i, m, fx, out + i);
        i += m;
    }
#if !PMC_X86
    (void)avx2;
#endif
}

int pmq_ddequant(const pmc_dquant *q, const uint16_t *codes, size_t n, size_t index0, uint32_t *state,
                 uint16_t *out, int avx2)
{
    const uint16_t *rec = q->rec;
    const uint32_t levels = q->fmax + PMQ_K; /* < 2^22 */
    uint32_t s = *state, worst = 0;
    size_t i = 0;
    for (; i < n && index0 + i < PMQ_ANCHORS; i++) {
        const uint32_t at = ((uint32_t)codes[i] << PMQ_KBITS) + (PMQ_K - 1) - phase(s, index0 + i);
        s = chain(s, index0 + i, codes[i]);
        worst = at > worst ? at : worst;
        out[i] = rec[at < levels ? at : 0];
    }
    *state = s;
#if PMC_X86
    if (avx2 && i < n) {
        const uint32_t top = values_avx2(q, levels, s, index0 + i, n - i, codes + i, out + i);
        worst = top > worst ? top : worst;
        i = n;
    }
#endif
    uint32_t at[BLOCK];
    while (i < n) {
        const size_t m = n - i < BLOCK ? n - i : BLOCK;
        const uint32_t top = windows_portable(s, index0 + i, m, codes + i, levels, at);
        worst = top > worst ? top : worst;
        for (size_t j = 0; j < m; j++)
            out[i + j] = rec[at[j]];
        i += m;
    }
#if !PMC_X86
    (void)avx2;
#endif
    return n && worst >= levels ? PMC_E_CORRUPT : PMC_OK;
}

void pmc_dquantize(const pmc_dquant *q, const uint16_t *in, size_t n, uint16_t *out)
{
    uint32_t state = PMQ_DITHER_INIT;
    pmq_dmap(q, in, NULL, n, 0, &state, out, pmc_use_avx2(PMC_SIMD_AUTO));
}

int pmc_ddequantize(const pmc_dquant *q, const uint16_t *codes, size_t n, uint16_t *out)
{
    uint32_t state = PMQ_DITHER_INIT;
    return pmq_ddequant(q, codes, n, 0, &state, out, pmc_use_avx2(PMC_SIMD_AUTO));
}
