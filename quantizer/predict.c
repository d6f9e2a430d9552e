/* predict.c - block-adaptive prediction (see predict.h and docs/FORMAT.md).
 *
 * Neighbours of pixel (y, x) in the code plane P, for y >= 1:
 *   b = P[y-1][x]; a = x > 0 ? P[y][x-1] : b; c = x > 0 ? P[y-1][x-1] : b;
 *   d = x + 1 < nx ? P[y-1][x+1] : b.
 * In row 0 every predictor but NONE predicts a (0 for x = 0).
 * Residuals are (value - prediction) mod 2^16, zigzagged.
 *
 * The encoder's choice per tile is the predictor with the smallest sum of
 * min(z, 2047) over the tile's even rows (0, 2, 4, ... of the tile; every
 * other row halves the cost pass and changed the benchmark's ratios by at
 * most 0.03 %) (ties: the lowest number from 1 up; NONE only when strictly
 * cheapest, since it stores a base).  The AVX2 kernels compute exactly the
 * same integers as the portable ones.
 */
#include "predict.h"
#include "quant.h"

#include <string.h>

#if PMC_X86
#include <immintrin.h>
#endif

#define COST_CAP 2047u
#define COST_ROW_STEP 2 /* the cost pass reads rows 0, 2, 4, ... of a tile */

size_t pmp_tile_count(const pmp_geometry *g)
{
    if (g->th == 0 || g->tw == 0)
        return 0;
    return g->nplanes * ((g->ny + g->th - 1) / g->th) * ((g->nx + g->tw - 1) / g->tw);
}

static inline uint16_t med3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t mn = a < b ? a : b, mx = a < b ? b : a;
    if (c >= mx)
        return (uint16_t)mn;
    if (c <= mn)
        return (uint16_t)mx;
    return (uint16_t)(a + b - c);
}

/* The same median as med3, as a clamp: a + b - c is at most min(a, b) when c >= max(a, b) and at least
 * max(a, b) when c <= min(a, b), so clamping it to [min(a, b), max(a, b)] gives med3's three cases, in
 * fewer operations on the decoder's critical path. */
static inline uint32_t med3_clamp(uint32_t a, uint32_t b, uint32_t c)
{
    const int32_t mn = (int32_t)(a < b ? a : b), mx = (int32_t)(a < b ? b : a);
    int32_t g = (int32_t)(a + b) - (int32_t)c;
    g = g < mn ? mn : g;
    return (uint32_t)(g > mx ? mx : g);
}

/* prediction at (y >= 1, x) from the current row (values left of x) and the row above */
static inline uint16_t predict_px(const uint16_t *cur, const uint16_t *prev, size_t x, size_t nx, int p,
                                  uint16_t base)
{
    uint32_t b = prev[x];
    uint32_t a = x ? cur[x - 1] : b;
    uint32_t c = x ? prev[x - 1] : b;
    uint32_t d = x + 1 < nx ? prev[x + 1] : b;
    switch (p) {
    case PMP_NONE: return base;
    case PMP_LEFT: return (uint16_t)a;
    case PMP_UP: return (uint16_t)b;
    case PMP_AVG2: return (uint16_t)((a + b + 1) >> 1);
    case PMP_AVG4: return (uint16_t)((a + b + c + d + 2) >> 2);
    default: return med3(a, b, c);
    }
}

static inline uint16_t predict_first_row(const uint16_t *cur, size_t x, int p, uint16_t base)
{
    if (p == PMP_NONE)
        return base;
    return x ? cur[x - 1] : 0;
}

static inline uint16_t resid(uint16_t v, uint16_t pred) { return pmc_zigzag((uint16_t)(v - pred)); }
static inline uint32_t capped(uint16_t z) { return z < COST_CAP ? z : COST_CAP; }

/* ---- portable encoder kernels ---- */

static void costs_row_portable(const uint16_t *cur, const uint16_t *prev, size_t x0, size_t x1, size_t nx,
                               uint16_t base, uint64_t cost[PMP_COUNT])
{
    if (!prev) { /* first row of a plane: every predictor but NONE predicts the left neighbour */
        uint64_t none = 0, left = 0;
        for (size_t x = x0; x < x1; x++) {
            none += capped(resid(cur[x], base));
            left += capped(resid(cur[x], x ? cur[x - 1] : 0));
        }
        cost[PMP_NONE] += none;
        for (int p = PMP_LEFT; p < PMP_COUNT; p++)
            cost[p] += left;
        return;
    }
    for (size_t x = x0; x < x1; x++)
        for (int p = 0; p < PMP_COUNT; p++)
            cost[p] += capped(resid(cur[x], predict_px(cur, prev, x, nx, p, base)));
}

static void resid_row_portable(const uint16_t *cur, const uint16_t *prev, size_t x0, size_t x1, size_t nx,
                               int p, uint16_t base, uint16_t *z)
{
    for (size_t x = x0; x < x1; x++)
        z[x] = resid(cur[x], prev ? predict_px(cur, prev, x, nx, p, base) : predict_first_row(cur, x, p, base));
}

#if PMC_X86
/* ---- AVX2 encoder kernels: 16 interior pixels (1 <= x, x + 16 < nx) at a time ---- */

PMC_TARGET_AVX2 static inline __m256i zz16(__m256i v, __m256i pred)
{
    __m256i r = _mm256_sub_epi16(v, pred);
    return _mm256_xor_si256(_mm256_slli_epi16(r, 1), _mm256_srai_epi16(r, 15));
}

PMC_TARGET_AVX2 static inline __m256i avg4_16(__m256i a, __m256i b, __m256i c, __m256i d)
{
    const __m256i zero = _mm256_setzero_si256(), two = _mm256_set1_epi32(2);
    __m256i lo = _mm256_add_epi32(_mm256_add_epi32(_mm256_unpacklo_epi16(a, zero), _mm256_unpacklo_epi16(b, zero)),
                                  _mm256_add_epi32(_mm256_unpacklo_epi16(c, zero), _mm256_unpacklo_epi16(d, zero)));
    __m256i hi = _mm256_add_epi32(_mm256_add_epi32(_mm256_unpackhi_epi16(a, zero), _mm256_unpackhi_epi16(b, zero)),
                                  _mm256_add_epi32(_mm256_unpackhi_epi16(c, zero), _mm256_unpackhi_epi16(d, zero)));
    lo = _mm256_srli_epi32(_mm256_add_epi32(lo, two), 2);
    hi = _mm256_srli_epi32(_mm256_add_epi32(hi, two), 2);
    return _mm256_packus_epi32(lo, hi);
}

PMC_TARGET_AVX2 static inline __m256i med_16(__m256i a, __m256i b, __m256i c)
{
    __m256i mn = _mm256_min_epu16(a, b), mx = _mm256_max_epu16(a, b);
    __m256i grad = _mm256_sub_epi16(_mm256_add_epi16(a, b), c);
    __m256i c_ge_mx = _mm256_cmpeq_epi16(_mm256_max_epu16(c, mx), c);
    __m256i c_le_mn = _mm256_cmpeq_epi16(_mm256_min_epu16(c, mn), c);
    __m256i r = _mm256_blendv_epi8(grad, mx, c_le_mn);
    return _mm256_blendv_epi8(r, mn, c_ge_mx);
}

PMC_TARGET_AVX2 static inline __m256i pred_16(int p, __m256i a, __m256i b, __m256i c, __m256i d, __m256i vbase)
{
    switch (p) {
    case PMP_NONE: return vbase;
    case PMP_LEFT: return a;
    case PMP_UP: return b;
    case PMP_AVG2: return _mm256_avg_epu16(a, b);
    case PMP_AVG4: return avg4_16(a, b, c, d);
    default: return med_16(a, b, c);
    }
}

#define LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))

/* exact sum of a tile's codes: 32-bit lanes, one reduction per tile */
PMC_TARGET_AVX2 static uint64_t tile_sum_avx2(const uint16_t *band, size_t nrows, size_t nx, size_t x0, size_t x1)
{
    const __m256i low16 = _mm256_set1_epi32(0xFFFF);
    __m256i acc = _mm256_setzero_si256();
    uint64_t sum = 0;
    for (size_t y = 0; y < nrows; y++) {
        const uint16_t *row = band + y * nx;
        size_t x = x0;
        for (; x + 16 <= x1; x += 16) {
            __m256i v = LOADU(row + x);
            acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_and_si256(v, low16), _mm256_srli_epi32(v, 16)));
        }
        for (; x < x1; x++)
            sum += row[x];
        if ((y & 1023) == 1023) { /* 32-bit lanes hold at least 2048 rows of 2 values each */
            uint32_t lanes[8];
            _mm256_storeu_si256((__m256i *)(void *)lanes, acc);
            for (int i = 0; i < 8; i++)
                sum += lanes[i];
            acc = _mm256_setzero_si256();
        }
    }
    uint32_t lanes[8];
    _mm256_storeu_si256((__m256i *)(void *)lanes, acc);
    for (int i = 0; i < 8; i++)
        sum += lanes[i];
    return sum;
}

/* One 16-pixel step of the cost pass: adds min(z, cap) of every predictor
 * for the lanes set in keep (all ones, or a mask when a final vector
 * overlaps pixels already counted). */
PMC_TARGET_AVX2 static inline void costs_16(const uint16_t *cur, const uint16_t *prev, size_t x, __m256i keep,
                                            __m256i vbase, __m256i acc[PMP_COUNT])
{
    const __m256i cap = _mm256_set1_epi16((short)COST_CAP), ones = _mm256_set1_epi16(1);
    __m256i v = LOADU(cur + x), a = LOADU(cur + x - 1), b = LOADU(prev + x);
    __m256i c = LOADU(prev + x - 1), d = LOADU(prev + x + 1);
    for (int p = 0; p < PMP_COUNT; p++) {
        __m256i zc = _mm256_and_si256(_mm256_min_epu16(zz16(v, pred_16(p, a, b, c, d, vbase)), cap), keep);
        acc[p] = _mm256_add_epi32(acc[p], _mm256_madd_epi16(zc, ones));
    }
}

/* The cost pass of one tile (rows 0, COST_ROW_STEP, ... of band, columns [x0, x1)).
 * Interior pixels of rows y >= 1 are done 16 at a time: from max(x0, 1) on,
 * the end handled by one final vector that overlaps pixels already done
 * (masked out here, recomputed identically in the residual pass); column 0,
 * the last column (whose d is b) and the first row of a plane stay scalar.
 * The vector sums stay in 32-bit lanes for the whole tile (each step adds at
 * most 2 * COST_CAP to a lane; they are folded into cost every 65536 steps,
 * long before a lane could overflow). */
PMC_TARGET_AVX2 static void costs_tile_avx2(const uint16_t *band, size_t nrows, int first, size_t nx, size_t x0,
                                            size_t x1, uint16_t base, uint64_t cost[PMP_COUNT])
{
    size_t xs = x0 ? x0 : 1, xe = x1 < nx ? x1 : nx - 1; /* vector range [xs, xe) */
    if (xs > x1)
        xs = x1;
    if (xe < xs)
        xe = xs;
    const __m256i vbase = _mm256_set1_epi16((short)base), all = _mm256_set1_epi16(-1);
    const __m256i lane = _mm256_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    /* the final overlapping vector at xe - 16 keeps the lanes from the last whole step on */
    const size_t xlast = xs + (xe - xs) / 16 * 16;
    const int tail = xlast < xe && xe >= 17;
    const __m256i keep = _mm256_cmpgt_epi16(lane, _mm256_set1_epi16((short)(xlast - (xe - 16)) - 1));
    __m256i acc[PMP_COUNT];
    for (int p = 0; p < PMP_COUNT; p++)
        acc[p] = _mm256_setzero_si256();
    size_t steps = 0;
    for (size_t y = 0; y < nrows; y += COST_ROW_STEP) {
        const uint16_t *cur = band + y * nx, *prev = (y || !first) ? cur - nx : NULL;
        if (!prev) {
            costs_row_portable(cur, prev, x0, x1, nx, base, cost);
            continue;
        }
        costs_row_portable(cur, prev, x0, xs, nx, base, cost);
        for (size_t x = xs; x < xlast; x += 16)
            costs_16(cur, prev, x, all, vbase, acc);
        if (tail)
            costs_16(cur, prev, xe - 16, keep, vbase, acc);
        costs_row_portable(cur, prev, tail ? xe : xlast, x1, nx, base, cost);
        steps += (xlast - xs) / 16 + (size_t)tail;
        if (steps >= 65536 || y + COST_ROW_STEP >= nrows) {
            for (int p = 0; p < PMP_COUNT; p++) {
                uint32_t lanes[8];
                _mm256_storeu_si256((__m256i *)(void *)lanes, acc[p]);
                for (int i = 0; i < 8; i++)
                    cost[p] += lanes[i];
                acc[p] = _mm256_setzero_si256();
            }
            steps = 0;
        }
    }
}

PMC_TARGET_AVX2 static void resid_row_avx2(const uint16_t *cur, const uint16_t *prev, size_t x0, size_t x1,
                                           size_t nx, int p, uint16_t base, uint16_t *z)
{
    if (!prev) {
        resid_row_portable(cur, prev, x0, x1, nx, p, base, z);
        return;
    }
    size_t xs = x0 ? x0 : 1, xe = x1 < nx ? x1 : nx - 1;
    if (xs > x1)
        xs = x1;
    resid_row_portable(cur, prev, x0, xs, nx, p, base, z);
    if (xe < xs)
        xe = xs;
    const __m256i vbase = _mm256_set1_epi16((short)base);
    size_t x = xs;
    for (;; x += 16) {
        if (x + 16 > xe) { /* the end: one vector overlapping residuals of this tile already written */
            if (x < xe && xe >= xs + 16)
                x = xe - 16;
            else
                break;
        }
        __m256i v = LOADU(cur + x), a = LOADU(cur + x - 1), b = LOADU(prev + x);
        __m256i c = LOADU(prev + x - 1), d = LOADU(prev + x + 1);
        _mm256_storeu_si256((__m256i *)(void *)(z + x), zz16(v, pred_16(p, a, b, c, d, vbase)));
        if (x + 16 == xe) {
            x = xe;
            break;
        }
    }
    resid_row_portable(cur, prev, x, x1, nx, p, base, z);
}
#endif

static uint64_t tile_sum_portable(const uint16_t *band, size_t nrows, size_t nx, size_t x0, size_t x1)
{
    uint64_t sum = 0;
    for (size_t y = 0; y < nrows; y++) {
        const uint16_t *row = band + y * nx;
        uint32_t rs = 0; /* tw <= 65535, so a row sum fits 32 bits */
        for (size_t x = x0; x < x1; x++)
            rs += row[x];
        sum += rs;
    }
    return sum;
}

static void costs_tile_portable(const uint16_t *band, size_t nrows, int first, size_t nx, size_t x0, size_t x1,
                                uint16_t b, uint64_t cost[PMP_COUNT])
{
    for (size_t y = 0; y < nrows; y += COST_ROW_STEP) {
        const uint16_t *cur = band + y * nx, *prev = (y || !first) ? cur - nx : NULL;
        costs_row_portable(cur, prev, x0, x1, nx, b, cost);
    }
}

/* One band, tile by tile: the base and costs, the choice, the residuals.  Written once for both kernel sets, so
 * that the AVX2 version is one function with its kernels inlined (a call into a function of another target
 * cannot be inlined; a call per tile and row cost about a tenth of encoding time). */
#define ENCODE_BAND_FN(NAME, ATTR, TILE_SUM, COSTS_TILE, RESID_ROW)                                             \
    ATTR static void NAME(const uint16_t *band, size_t nrows, int first, size_t nx, size_t tw, uint8_t *choice,  \
                          uint16_t *base, uint16_t *z)                                                          \
    {                                                                                                            \
        const size_t ntx = (nx + tw - 1) / tw;                                                                   \
        for (size_t tx = 0; tx < ntx; tx++) {                                                                    \
            const size_t x0 = tx * tw, x1 = x0 + tw < nx ? x0 + tw : nx;                                         \
            const uint64_t sum = TILE_SUM(band, nrows, nx, x0, x1), cnt = (uint64_t)nrows * (x1 - x0);           \
            const uint16_t b = (uint16_t)((sum + cnt / 2) / cnt);                                                \
            uint64_t cost[PMP_COUNT] = {0};                                                                      \
            COSTS_TILE(band, nrows, first, nx, x0, x1, b, cost);                                                 \
            /* ties go to the lowest-numbered predictor that needs no side information; NONE (which stores a    \
             * base) only wins when strictly cheaper than all of them */                                          \
            int best = PMP_LEFT;                                                                                 \
            for (int p = PMP_LEFT + 1; p < PMP_COUNT; p++)                                                       \
                if (cost[p] < cost[best])                                                                        \
                    best = p;                                                                                    \
            if (cost[PMP_NONE] < cost[best])                                                                     \
                best = PMP_NONE;                                                                                 \
            choice[tx] = (uint8_t)best;                                                                          \
            base[tx] = b;                                                                                        \
            for (size_t y = 0; y < nrows; y++) {                                                                 \
                const uint16_t *cur = band + y * nx, *prev = (y || !first) ? cur - nx : NULL;                    \
                RESID_ROW(cur, prev, x0, x1, nx, best, b, z + y * nx);                                           \
            }                                                                                                    \
        }                                                                                                        \
    }

ENCODE_BAND_FN(encode_band_portable, PMC_TARGET_NONE, tile_sum_portable, costs_tile_portable, resid_row_portable)
#if PMC_X86
ENCODE_BAND_FN(encode_band_avx2, PMC_TARGET_AVX2, tile_sum_avx2, costs_tile_avx2, resid_row_avx2)
#endif

void pmp_encode_band(const uint16_t *band, size_t nrows, int first, size_t nx, size_t tw, uint8_t *choice,
                     uint16_t *base, uint16_t *z, int simd)
{
#if PMC_X86
    if (pmc_use_avx2(simd)) {
        encode_band_avx2(band, nrows, first, nx, tw, choice, base, z);
        return;
    }
#endif
    (void)simd;
    encode_band_portable(band, nrows, first, nx, tw, choice, base, z);
}

/* ---- decoder ---- */

/* The decoder's predictors as expressions of the neighbours a, b, c, d of an
 * inner pixel (1 <= x < nx - 1; see the top of this file); PRED_NONE reads
 * the tile's base from bs. */
#define PRED_NONE(a, b, c, d) ((void)(a), (void)(b), (void)(c), (void)(d), (uint32_t)bs)
#define PRED_LEFT(a, b, c, d) ((void)(b), (void)(c), (void)(d), (a))
#define PRED_UP(a, b, c, d) ((void)(a), (void)(c), (void)(d), (uint32_t)(b))
#define PRED_AVG2(a, b, c, d) ((void)(c), (void)(d), ((a) + (b) + 1) >> 1)
#define PRED_AVG4(a, b, c, d) (((a) + (b) + (c) + (d) + 2) >> 2)
#define PRED_MED(a, b, c, d) ((void)(d), med3_clamp((a), (b), (c)))

/* Rebuild codes cur[x0..x1) of a row y >= 1 from residuals zr.  The left
 * neighbour is carried in a register: reloading it from cur would put a
 * store-to-load round trip on the critical path of every pixel. */
static void unpredict_row(uint16_t *restrict cur, const uint16_t *restrict prev, const uint16_t *restrict zr,
                          size_t x0, size_t x1, size_t nx, int p, uint16_t base)
{
    size_t x = x0;
    if (x == 0 && x < x1) { /* left edge: a = c = b */
        cur[0] = (uint16_t)(predict_px(cur, prev, 0, nx, p, base) + zr[0]);
        x = 1;
    }
    size_t xe = x1 < nx ? x1 : nx - 1; /* the last column has d = b */
    if (xe < x)
        xe = x;
    uint32_t a = x ? cur[x - 1] : 0;
    const uint16_t bs = base;
#define ROW_LOOP(PRED)                                                                                           \
    for (; x < xe; x++)                                                                                          \
        cur[x] = (uint16_t)(a = (uint16_t)(PRED(a, prev[x], prev[x - 1], prev[x + 1]) + zr[x]))
    switch (p) {
    case PMP_NONE: ROW_LOOP(PRED_NONE); break;
    case PMP_LEFT: ROW_LOOP(PRED_LEFT); break;
    case PMP_UP: ROW_LOOP(PRED_UP); break;
    case PMP_AVG2: ROW_LOOP(PRED_AVG2); break;
    case PMP_AVG4: ROW_LOOP(PRED_AVG4); break;
    default: ROW_LOOP(PRED_MED); break;
    }
#undef ROW_LOOP
    for (; x < x1; x++)
        cur[x] = (uint16_t)(predict_px(cur, prev, x, nx, p, base) + zr[x]);
}

/* Row 0 of a plane (see predict_first_row), the left neighbour carried in a register. */
static void unpredict_first_row(uint16_t *restrict cur, const uint16_t *restrict zr, size_t x0, size_t x1, int p,
                                uint16_t base)
{
    if (p == PMP_NONE) {
        for (size_t x = x0; x < x1; x++)
            cur[x] = (uint16_t)(base + zr[x]);
        return;
    }
    uint32_t a = x0 ? cur[x0 - 1] : 0;
    for (size_t x = x0; x < x1; x++)
        cur[x] = (uint16_t)(a = (uint16_t)(a + zr[x]));
}

/* Row y >= 1, pixels [x0, x1) that may span several tiles, in runs of one tile each (one switch per run):
 * pixels from xt on use tile t's predictor and base (every tile from t up to x1 has the same predictor, and
 * it is not NONE unless x1 <= xt); those before xt are in the tiles before t, found by walking back from t. */
static void unpredict_runs(uint16_t *cur, const uint16_t *prev, const uint16_t *zr, size_t x0, size_t x1, size_t nx,
                           size_t tw, size_t t, size_t xt, const uint8_t *choice, const uint16_t *base)
{
    if (x0 < xt) {
        size_t tt = t, s = xt; /* s: the start of tile tt */
        while (x0 < s) {
            tt--;
            s -= tw;
        }
        while (x0 < x1 && x0 < xt) {
            size_t e = s + tw;
            if (e > x1)
                e = x1;
            unpredict_row(cur, prev, zr, x0, e, nx, choice[tt], base[tt]);
            x0 = e;
            tt++;
            s += tw;
        }
    }
    if (x0 < x1)
        unpredict_row(cur, prev, zr, x0, x1, nx, choice[t], base[t]);
}

/* Rows decoded together: row k of a group (k = 0 .. R-1, row 0 below the
 * row above the group) trails row k - 1 by one pixel, since its pixel x
 * needs pixel x + 1 of row k - 1.  Each row's left neighbour, and the last
 * pixels of the row above that it needs, are carried in registers: the rows
 * are R independent dependency chains, which the processor overlaps (one row
 * alone is bound by the latency of its chain).
 *
 * The inner loops: rows 0 .. R-1 at x, x - 1, ..., x - R + 1 for x in
 * [x, xf), R <= x, xf < nx, every pixel in one tile of predictor PRED.  One
 * small function per predictor and group size keeps the values in registers. */
#define PAIR_FN(NAME, PRED)                                                                                      \
    static void NAME(uint16_t *const *Rw, const uint16_t *const *Zr, size_t x, size_t xf, uint16_t bs)           \
    {                                                                                                            \
        (void)bs;                                                                                                \
        const uint16_t *restrict P = Rw[0], *restrict Z0 = Zr[0], *restrict Z1 = Zr[1];                          \
        uint16_t *restrict R0 = Rw[1], *restrict R1 = Rw[2];                                                     \
        uint32_t h10 = R0[x - 1], h20 = R0[x - 2], h11 = R1[x - 2];                                              \
        for (; x < xf; x++) {                                                                                    \
            const uint32_t n0 = (uint16_t)(PRED(h10, P[x], P[x - 1], P[x + 1]) + Z0[x]);                         \
            R0[x] = (uint16_t)n0;                                                                                \
            const uint32_t n1 = (uint16_t)(PRED(h11, h10, h20, n0) + Z1[x - 1]);                                 \
            R1[x - 1] = (uint16_t)n1;                                                                            \
            h20 = h10;                                                                                           \
            h10 = n0;                                                                                            \
            h11 = n1;                                                                                            \
        }                                                                                                        \
    }

#define TRIPLE_FN(NAME, PRED)                                                                                    \
    static void NAME(uint16_t *const *Rw, const uint16_t *const *Zr, size_t x, size_t xf, uint16_t bs)           \
    {                                                                                                            \
        (void)bs;                                                                                                \
        const uint16_t *restrict P = Rw[0], *restrict Z0 = Zr[0], *restrict Z1 = Zr[1], *restrict Z2 = Zr[2];    \
        uint16_t *restrict R0 = Rw[1], *restrict R1 = Rw[2], *restrict R2 = Rw[3];                               \
        uint32_t h10 = R0[x - 1], h20 = R0[x - 2], h11 = R1[x - 2], h21 = R1[x - 3], h12 = R2[x - 3];            \
        for (; x < xf; x++) {                                                                                    \
            const uint32_t n0 = (uint16_t)(PRED(h10, P[x], P[x - 1], P[x + 1]) + Z0[x]);                         \
            R0[x] = (uint16_t)n0;                                                                                \
            const uint32_t n1 = (uint16_t)(PRED(h11, h10, h20, n0) + Z1[x - 1]);                                 \
            R1[x - 1] = (uint16_t)n1;                                                                            \
            const uint32_t n2 = (uint16_t)(PRED(h12, h11, h21, n1) + Z2[x - 2]);                                 \
            R2[x - 2] = (uint16_t)n2;                                                                            \
            h20 = h10;                                                                                           \
            h10 = n0;                                                                                            \
            h21 = h11;                                                                                           \
            h11 = n1;                                                                                            \
            h12 = n2;                                                                                            \
        }                                                                                                        \
    }

#define QUAD_FN(NAME, PRED)                                                                                      \
    static void NAME(uint16_t *const *Rw, const uint16_t *const *Zr, size_t x, size_t xf, uint16_t bs)           \
    {                                                                                                            \
        (void)bs;                                                                                                \
        const uint16_t *restrict P = Rw[0], *restrict Z0 = Zr[0], *restrict Z1 = Zr[1], *restrict Z2 = Zr[2],    \
                       *restrict Z3 = Zr[3];                                                                     \
        uint16_t *restrict R0 = Rw[1], *restrict R1 = Rw[2], *restrict R2 = Rw[3], *restrict R3 = Rw[4];         \
        uint32_t h10 = R0[x - 1], h20 = R0[x - 2], h11 = R1[x - 2], h21 = R1[x - 3], h12 = R2[x - 3],            \
                 h22 = R2[x - 4], h13 = R3[x - 4];                                                               \
        for (; x < xf; x++) {                                                                                    \
            const uint32_t n0 = (uint16_t)(PRED(h10, P[x], P[x - 1], P[x + 1]) + Z0[x]);                         \
            R0[x] = (uint16_t)n0;                                                                                \
            const uint32_t n1 = (uint16_t)(PRED(h11, h10, h20, n0) + Z1[x - 1]);                                 \
            R1[x - 1] = (uint16_t)n1;                                                                            \
            const uint32_t n2 = (uint16_t)(PRED(h12, h11, h21, n1) + Z2[x - 2]);                                 \
            R2[x - 2] = (uint16_t)n2;                                                                            \
            const uint32_t n3 = (uint16_t)(PRED(h13, h12, h22, n2) + Z3[x - 3]);                                 \
            R3[x - 3] = (uint16_t)n3;                                                                            \
            h20 = h10;                                                                                           \
            h10 = n0;                                                                                            \
            h21 = h11;                                                                                           \
            h11 = n1;                                                                                            \
            h22 = h12;                                                                                           \
            h12 = n2;                                                                                            \
            h13 = n3;                                                                                            \
        }                                                                                                        \
    }

PAIR_FN(pair_none, PRED_NONE)
PAIR_FN(pair_left, PRED_LEFT)
PAIR_FN(pair_up, PRED_UP)
PAIR_FN(pair_avg2, PRED_AVG2)
PAIR_FN(pair_avg4, PRED_AVG4)
PAIR_FN(pair_med, PRED_MED)
TRIPLE_FN(triple_none, PRED_NONE)
TRIPLE_FN(triple_left, PRED_LEFT)
TRIPLE_FN(triple_up, PRED_UP)
TRIPLE_FN(triple_avg2, PRED_AVG2)
TRIPLE_FN(triple_avg4, PRED_AVG4)
TRIPLE_FN(triple_med, PRED_MED)
QUAD_FN(quad_none, PRED_NONE)
QUAD_FN(quad_left, PRED_LEFT)
QUAD_FN(quad_up, PRED_UP)
QUAD_FN(quad_avg2, PRED_AVG2)
QUAD_FN(quad_avg4, PRED_AVG4)
QUAD_FN(quad_med, PRED_MED)

/* The staggered ends of a span of one predictor PRED (not NONE/UP) in rows 0 .. R-1 of a group: row k,
 * in the order k = 0, 1, ..., pixels [x0[k], x1[k]), all in the span; its first column (a = c = b) and
 * last column (d = b) by the same rule as predict_px.  nx >= 2.  One call per span end instead of a
 * switch per run: the starts and ends of the rows are a large share of narrow planes (64 pixels). */
#define STAGGER_FN(NAME, PRED)                                                                                   \
    static void NAME(uint16_t *const *Rw, const uint16_t *const *Zr, unsigned R, const size_t *x0,               \
                     const size_t *x1, size_t nx)                                                                \
    {                                                                                                            \
        for (unsigned k = 0; k < R; k++) {                                                                       \
            uint16_t *restrict cur = Rw[k + 1];                                                                  \
            const uint16_t *restrict prev = Rw[k], *restrict zr = Zr[k];                                         \
            size_t x = x0[k];                                                                                    \
            const size_t xe = x1[k], xi = xe < nx - 1 ? xe : nx - 1;                                             \
            if (x >= xe)                                                                                         \
                continue;                                                                                        \
            uint32_t a;                                                                                          \
            if (x == 0) {                                                                                        \
                const uint32_t b = prev[0];                                                                      \
                cur[0] = (uint16_t)(a = (uint16_t)(PRED(b, b, b, prev[1]) + zr[0]));                             \
                x = 1;                                                                                           \
            } else {                                                                                             \
                a = cur[x - 1];                                                                                  \
            }                                                                                                    \
            for (; x < xi; x++)                                                                                  \
                cur[x] = (uint16_t)(a = (uint16_t)(PRED(a, prev[x], prev[x - 1], prev[x + 1]) + zr[x]));         \
            if (x < xe) /* x == nx - 1 */                                                                        \
                cur[x] = (uint16_t)(PRED(a, prev[x], prev[x - 1], prev[x]) + zr[x]);                             \
        }                                                                                                        \
    }

STAGGER_FN(stagger_left, PRED_LEFT)
STAGGER_FN(stagger_avg2, PRED_AVG2)
STAGGER_FN(stagger_avg4, PRED_AVG4)
STAGGER_FN(stagger_med, PRED_MED)

typedef void (*stagger_fn)(uint16_t *const *, const uint16_t *const *, unsigned, const size_t *, const size_t *,
                           size_t);

typedef void (*group_fn)(uint16_t *const *, const uint16_t *const *, size_t, size_t, uint16_t);

#define GROUP_MAX 16   /* rows of a group: up to WAVE_MAX with the AVX2 wavefront */
#define GROUP_SCALAR 4 /* rows of a group of the scalar inner loops */

#if PMC_X86
/* ---- AVX2 (VEX-encoded 128-bit) vector wavefront: 8 or 16 rows of a group at once, one row per 16-bit lane ----
 * Lane k (row k of the group, below the row above Rw[0]) handles pixel x = s - L * k at step s: the lag L
 * is 1 for LEFT, AVG2 and MED (pixel x needs x - 1 of its own row and x - 1, x of the row above) and 2 for
 * AVG4 (it also needs x + 1 of the row above).  So the row above's values of lane k are lane k - 1's
 * results of the previous steps, one lane shift (alignr) away; lane 0 takes them from Rw[0].  Residuals
 * enter and results leave through 8 x 8 transposes of 16-bit values: row k is loaded from (stored to)
 * x = s - L * k, so that after the transpose vector j holds step s + j of every lane.  Arithmetic on 16
 * bits, exact: MED as min(mn + sat(mx - c), mx) with saturating adds (mn + mx - c when min(a, b) = mn <= c
 * <= mx = max(a, b), mn when c >= mx, mx when c <= mn: med3's three cases); AVG4 as
 * avg(floor((a + b) / 2), floor((c + d) / 2) + (both sums odd)) with the rounding average
 * avg(u, v) = (u + v + 1) >> 1, which is (a + b + c + d + 2) >> 2.
 * A band whose tiles all have one predictor (not NONE or UP) runs whole rows through it (wave_rows, the ends of
 * the rows in edge blocks), up to 16 rows, the rest of a band's rows in lanes whose results go to a spare row;
 * other bands use it inside each span of one predictor (wave_kernel, groups of 8 or 16 rows), the span's
 * starts and ends in the scalar code. */
#define WAVE_MAX 16 /* rows of the widest wavefront */
#define PMC_ALWAYS_INLINE __attribute__((always_inline))

PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE void transpose8x8_16(__m128i *r)
{
    const __m128i t0 = _mm_unpacklo_epi16(r[0], r[1]), t1 = _mm_unpackhi_epi16(r[0], r[1]);
    const __m128i t2 = _mm_unpacklo_epi16(r[2], r[3]), t3 = _mm_unpackhi_epi16(r[2], r[3]);
    const __m128i t4 = _mm_unpacklo_epi16(r[4], r[5]), t5 = _mm_unpackhi_epi16(r[4], r[5]);
    const __m128i t6 = _mm_unpacklo_epi16(r[6], r[7]), t7 = _mm_unpackhi_epi16(r[6], r[7]);
    const __m128i u0 = _mm_unpacklo_epi32(t0, t2), u1 = _mm_unpackhi_epi32(t0, t2);
    const __m128i u2 = _mm_unpacklo_epi32(t1, t3), u3 = _mm_unpackhi_epi32(t1, t3);
    const __m128i u4 = _mm_unpacklo_epi32(t4, t6), u5 = _mm_unpackhi_epi32(t4, t6);
    const __m128i u6 = _mm_unpacklo_epi32(t5, t7), u7 = _mm_unpackhi_epi32(t5, t7);
    r[0] = _mm_unpacklo_epi64(u0, u4);
    r[1] = _mm_unpackhi_epi64(u0, u4);
    r[2] = _mm_unpacklo_epi64(u1, u5);
    r[3] = _mm_unpackhi_epi64(u1, u5);
    r[4] = _mm_unpacklo_epi64(u2, u6);
    r[5] = _mm_unpackhi_epi64(u2, u6);
    r[6] = _mm_unpacklo_epi64(u3, u7);
    r[7] = _mm_unpackhi_epi64(u3, u7);
}

PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE __m128i wave_pred(int p, __m128i a, __m128i b, __m128i c, __m128i d)
{
    switch (p) {
    case PMP_LEFT: return a;
    case PMP_AVG2: return _mm_avg_epu16(a, b);
    case PMP_AVG4: {
        const __m128i one = _mm_set1_epi16(1);
        const __m128i x1 = _mm_xor_si128(a, b), e2 = _mm_and_si128(_mm_xor_si128(c, d), one);
        const __m128i f1 = _mm_sub_epi16(_mm_avg_epu16(a, b), _mm_and_si128(x1, one));
        const __m128i f2 = _mm_sub_epi16(_mm_avg_epu16(c, d), _mm_andnot_si128(x1, e2));
        return _mm_avg_epu16(f1, f2);
    }
    default: {
        const __m128i mn = _mm_min_epu16(a, b), mx = _mm_max_epu16(a, b);
        return _mm_min_epu16(_mm_adds_epu16(mn, _mm_subs_epu16(mx, c)), mx);
    }
    }
}

#define LOADU128(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define STOREU128(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

/* bytes of pshufb masks that move 16-bit lanes by -8 .. 8 lanes, zeros shifted in (see wave_shift) */
static const int8_t wave_shift_tab[48] = {-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128,
                                          -128, -128, -128, -128, 0,    1,    2,    3,    4,    5,    6,    7,
                                          8,    9,    10,   11,   12,   13,   14,   15,   -128, -128, -128, -128,
                                          -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128};

/* lane i of the result: lane i + sh of v, 0 outside lanes 0 .. 7 (|sh| <= 8) */
PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE __m128i wave_shift(__m128i v, ptrdiff_t sh)
{
    return _mm_shuffle_epi8(v, LOADU128(wave_shift_tab + 16 + 2 * sh));
}

/* lane j: row[x0 + j] where 0 <= x0 + j < nx, else 0 (nx >= 8): one load inside the row, shifted */
PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE __m128i wave_load_edge(const uint16_t *row, ptrdiff_t x0, size_t nx)
{
    const ptrdiff_t last = (ptrdiff_t)nx - 8;
    if (x0 <= -8 || x0 >= (ptrdiff_t)nx)
        return _mm_setzero_si128();
    const ptrdiff_t at = x0 < 0 ? 0 : x0 > last ? last : x0;
    return wave_shift(LOADU128(row + at), x0 - at);
}

/* row[x0 + j] = lane j of v where 0 <= x0 + j < nx (nx >= 8): the 8 values inside the row around them are read,
 * blended with v's and written back */
PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE void wave_store_edge(uint16_t *row, ptrdiff_t x0, size_t nx, __m128i v)
{
    const ptrdiff_t last = (ptrdiff_t)nx - 8;
    if (x0 <= -8 || x0 >= (ptrdiff_t)nx)
        return;
    const ptrdiff_t at = x0 < 0 ? 0 : x0 > last ? last : x0;
    const __m128i keep = wave_shift(_mm_set1_epi16(-1), at - x0);
    STOREU128(row + at, _mm_blendv_epi8(LOADU128(row + at), wave_shift(v, at - x0), keep));
}

/* One block of 8 steps s .. s + 7 of the wavefront of predictor p on the R = 8 * NV rows Rw[1 .. R] (deltas
 * Zr[0 .. R-1]), the row above Rw[0], the carried values in res, h1, h2 (one vector per chain of 8 rows): res =
 * each lane's last result; h1 = the row above's value that was b (L = 1) or d (L = 2) at the step before, h2 =
 * the one that was d two steps before (L = 2).  The rows are NV chains of 8 lanes: chain c + 1's lane 0 takes
 * the row above from chain c's lane 7 of the previous step, so the chains of one step are independent (one
 * chain alone is bound by the latency of its step).
 * edge = 0: every pixel x = s + j - L * k of the block has 1 <= x and x + 1 < nx (x < nx for L = 1).
 * edge = 1: any block, nx >= 8; pixels outside [0, nx) are computed from zeros and not stored, x = 0 takes
 * a = c = b and x = nx - 1 takes d = b (AVG4), as predict_px. */
PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE void wave_block(int p, int NV, int edge, uint16_t *const *Rw,
                                                               const uint16_t *const *Zr, size_t s, size_t nx,
                                                               __m128i *res, __m128i *h1, __m128i *h2)
{
    const size_t L = p == PMP_AVG4 ? 2 : 1, R = 8 * (size_t)NV;
    const uint16_t *const P = Rw[0];
    __m128i v[WAVE_MAX], pv;
    if (!edge) {
        for (size_t k = 0; k < R; k++)
            v[k] = LOADU128(Zr[k] + s - L * k);
        /* lane 0's value from the row above at step s + j: P[s + j] (b, L = 1) or P[s + j + 1] (d, L = 2) */
        pv = LOADU128(P + s + (L - 1));
    } else {
        for (size_t k = 0; k < R; k++)
            v[k] = wave_load_edge(Zr[k], (ptrdiff_t)s - (ptrdiff_t)(L * k), nx);
        pv = wave_load_edge(P, (ptrdiff_t)(s + (L - 1)), nx);
    }
    for (int c = 0; c < NV; c++)
        transpose8x8_16(v + 8 * c);
    /* edge blocks: lane k's L * k, to find the lanes at x = 0 and x = nx - 1 (on 16 bits: both only looked for
     * where they can occur, close to the start or the end) */
    const int near0 = edge && s < 64, nearN = edge && L == 2 && s + 8 + L * R > nx;
    const __m128i lag0 = _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7), lagc = _mm_set1_epi16(8);
#define WAVE_STEP(j)                                                                                             \
    do {                                                                                                         \
        __m128i w[WAVE_MAX / 8];                                                                                 \
        w[0] = _mm_alignr_epi8(res[0], _mm_slli_si128(pv, 14 - 2 * (j)), 14);                                   \
        for (int c = 1; c < NV; c++)                                                                             \
            w[c] = _mm_alignr_epi8(res[c], res[c - 1], 14);                                                      \
        for (int c = 0; c < NV; c++) {                                                                           \
            __m128i ta = res[c], tb = L == 1 ? w[c] : h1[c], tc = L == 1 ? h1[c] : h2[c], td = w[c];             \
            if (near0 || nearN) {                                                                                \
                __m128i lag = _mm_add_epi16(lag0, _mm_mullo_epi16(lagc, _mm_set1_epi16((short)c)));               \
                if (L == 2)                                                                                      \
                    lag = _mm_add_epi16(lag, lag);                                                               \
                if (near0) {                                                                                     \
                    const __m128i m0 = _mm_cmpeq_epi16(_mm_set1_epi16((short)(s + (j))), lag);                   \
                    ta = _mm_blendv_epi8(ta, tb, m0);                                                            \
                    tc = _mm_blendv_epi8(tc, tb, m0);                                                            \
                }                                                                                                \
                if (nearN) {                                                                                     \
                    const __m128i mN =                                                                           \
                        _mm_cmpeq_epi16(_mm_set1_epi16((short)(uint16_t)(s + (j) - (nx - 1))), lag);             \
                    td = _mm_blendv_epi8(td, tb, mN);                                                            \
                }                                                                                                \
            }                                                                                                    \
            const __m128i pr = wave_pred(p, ta, tb, tc, td);                                                     \
            if (L == 2)                                                                                          \
                h2[c] = h1[c];                                                                                   \
            h1[c] = w[c];                                                                                        \
            v[8 * c + (j)] = res[c] = _mm_add_epi16(pr, v[8 * c + (j)]);                                         \
        }                                                                                                        \
    } while (0)
    WAVE_STEP(0);
    WAVE_STEP(1);
    WAVE_STEP(2);
    WAVE_STEP(3);
    WAVE_STEP(4);
    WAVE_STEP(5);
    WAVE_STEP(6);
    WAVE_STEP(7);
#undef WAVE_STEP
    for (int c = 0; c < NV; c++)
        transpose8x8_16(v + 8 * c);
    if (!edge) {
        for (size_t k = 0; k < R; k++)
            STOREU128(Rw[k + 1] + s - L * k, v[k]);
    } else {
        for (size_t k = 0; k < R; k++)
            wave_store_edge(Rw[k + 1], (ptrdiff_t)s - (ptrdiff_t)(L * k), nx, v[k]);
    }
}

/* Steps s0 .. s0 + 8 * nblk - 1 of the wavefront (see wave_block): rows k are done below s0 - L * k; every pixel
 * x = s - L * k of the steps is in one span of predictor p, with 1 <= x and x + 1 < nx.  Row k is then done below
 * s0 + 8 * nblk - L * k.  Pixels already done may be computed again (the same values from the same final
 * neighbours). */
PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE void wave_kernel(int p, int NV, uint16_t *const *Rw,
                                                                const uint16_t *const *Zr, size_t s0, size_t nblk)
{
    const size_t L = p == PMP_AVG4 ? 2 : 1, R = 8 * (size_t)NV;
    uint16_t init[3][WAVE_MAX];
    for (size_t k = 0; k < R; k++) {
        init[0][k] = Rw[k + 1][s0 - 1 - L * k];
        init[1][k] = Rw[k][s0 - 1 - L * k + (L - 1)];
        init[2][k] = L == 2 ? Rw[k][s0 - 2 - L * k + (L - 1)] : 0;
    }
    __m128i res[WAVE_MAX / 8], h1[WAVE_MAX / 8], h2[WAVE_MAX / 8];
    for (int c = 0; c < NV; c++) {
        res[c] = LOADU128(init[0] + 8 * c);
        h1[c] = LOADU128(init[1] + 8 * c);
        h2[c] = LOADU128(init[2] + 8 * c);
    }
    for (size_t s = s0; nblk; nblk--, s += 8)
        wave_block(p, NV, 0, Rw, Zr, s, 0, res, h1, h2);
}

/* Whole rows (nx >= 8): every pixel of the R = 8 * NV rows in the wavefront, the ends (x = 0, x = nx - 1, and the
 * steps where some lanes are outside the row) in edge blocks. */
PMC_TARGET_AVX2 static inline PMC_ALWAYS_INLINE void wave_rows(int p, int NV, uint16_t *const *Rw,
                                                              const uint16_t *const *Zr, size_t nx)
{
    const size_t L = p == PMP_AVG4 ? 2 : 1, R = 8 * (size_t)NV;
    const size_t steps = nx + L * (R - 1), first = L * (R - 1) + 1, xmax = L == 2 ? nx - 2 : nx - 1;
    __m128i res[WAVE_MAX / 8], h1[WAVE_MAX / 8], h2[WAVE_MAX / 8];
    for (int c = 0; c < NV; c++)
        res[c] = h1[c] = h2[c] = _mm_setzero_si128();
    if (L == 2) /* d of lane 0 at step -1 */
        h1[0] = _mm_cvtsi32_si128(Rw[0][0]);
    for (size_t s = 0; s < steps; s += 8) {
        if (s >= first && s + 7 <= xmax)
            wave_block(p, NV, 0, Rw, Zr, s, nx, res, h1, h2);
        else
            wave_block(p, NV, 1, Rw, Zr, s, nx, res, h1, h2);
    }
}

#define WAVE_FNS(PN, NAME8, NAME16, ROWS8, ROWS16)                                                              \
    PMC_TARGET_AVX2 static void NAME8(uint16_t *const *Rw, const uint16_t *const *Zr, size_t s0, size_t nblk)    \
    {                                                                                                            \
        wave_kernel(PN, 1, Rw, Zr, s0, nblk);                                                                    \
    }                                                                                                            \
    PMC_TARGET_AVX2 static void NAME16(uint16_t *const *Rw, const uint16_t *const *Zr, size_t s0, size_t nblk)   \
    {                                                                                                            \
        wave_kernel(PN, 2, Rw, Zr, s0, nblk);                                                                    \
    }                                                                                                            \
    PMC_TARGET_AVX2 static void ROWS8(uint16_t *const *Rw, const uint16_t *const *Zr, size_t nx)                 \
    {                                                                                                            \
        wave_rows(PN, 1, Rw, Zr, nx);                                                                            \
    }                                                                                                            \
    PMC_TARGET_AVX2 static void ROWS16(uint16_t *const *Rw, const uint16_t *const *Zr, size_t nx)                \
    {                                                                                                            \
        wave_rows(PN, 2, Rw, Zr, nx);                                                                            \
    }
WAVE_FNS(PMP_LEFT, wave8_left, wave16_left, rows8_left, rows16_left)
WAVE_FNS(PMP_AVG2, wave8_avg2, wave16_avg2, rows8_avg2, rows16_avg2)
WAVE_FNS(PMP_AVG4, wave8_avg4, wave16_avg4, rows8_avg4, rows16_avg4)
WAVE_FNS(PMP_MED, wave8_med, wave16_med, rows8_med, rows16_med)
#undef WAVE_FNS
#endif

/* Rows y .. y + R - 1 >= 1 of one band (same tiles, same predictors; R = 2,
 * 3 or 4, or 8 or 16 when avx2): Rw[0] is the row above them, Rw[1 .. R] the rows, Zr[0 .. R-1]
 * their deltas.  Same results as unpredict_row on each row in turn: every
 * pixel is computed from the same, already final, neighbours. */
static void unpredict_group(uint16_t *const *Rw, const uint16_t *const *Zr, unsigned R, size_t nx, size_t tw,
                            const uint8_t *choice, const uint16_t *base, int avx2)
{
    static const group_fn pairs[PMP_COUNT] = {pair_none, pair_left, pair_up, pair_avg2, pair_avg4, pair_med};
    static const group_fn triples[PMP_COUNT] = {triple_none, triple_left, triple_up,
                                                triple_avg2, triple_avg4, triple_med};
    static const group_fn quads[PMP_COUNT] = {quad_none, quad_left, quad_up, quad_avg2, quad_avg4, quad_med};
    static const stagger_fn staggers[PMP_COUNT] = {NULL, stagger_left, NULL, stagger_avg2, stagger_avg4, stagger_med};
    const size_t ntx = (nx + tw - 1) / tw;
    size_t xb[GROUP_MAX] = {0}; /* row k is done below xb[k] */
#if PMC_X86
    typedef void (*wave_fn)(uint16_t *const *, const uint16_t *const *, size_t, size_t);
    static const wave_fn waves8[PMP_COUNT] = {NULL, wave8_left, NULL, wave8_avg2, wave8_avg4, wave8_med};
    static const wave_fn waves16[PMP_COUNT] = {NULL, wave16_left, NULL, wave16_avg2, wave16_avg4, wave16_med};
    const wave_fn *const waves = R == 16 ? waves16 : waves8;
#else
    (void)avx2;
#endif
/* row k up to (not including) target, as far as row k - 1 allows (its pixel x needs pixel x + 1 of
 * row k - 1, unless row k - 1 is complete), in runs of pixels of one tile each */
#define ADVANCE(k, target)                                                                                       \
    do {                                                                                                         \
        const size_t allowed_ = (k) == 0 ? nx : xb[(k) - 1] >= nx ? nx : xb[(k) - 1] ? xb[(k) - 1] - 1 : 0;      \
        const size_t to_ = (target) < allowed_ ? (target) : allowed_;                                            \
        if (xb[k] < to_) {                                                                                       \
            unpredict_runs(Rw[(k) + 1], Rw[k], Zr[k], xb[k], to_, nx, tw, t, x0, choice, base);               \
            xb[k] = to_;                                                                                         \
        }                                                                                                        \
    } while (0)
    for (size_t t = 0; t < ntx;) {
        const size_t x0 = t * tw;
        const int p = choice[t];
        if (p == PMP_NONE || p == PMP_UP) {
            /* no left neighbour in the prediction: each row of the tile in one go, a vector loop */
            const size_t x1 = x0 + tw < nx ? x0 + tw : nx;
            const uint16_t bs = base[t];
            for (unsigned k = 0; k < R; k++) {
                ADVANCE(k, x0); /* the previous tiles' last pixels first */
                uint16_t *restrict cur = Rw[k + 1];
                const uint16_t *restrict above = Rw[k], *restrict dk = Zr[k];
                if (p == PMP_NONE)
                    for (size_t x = x0; x < x1; x++)
                        cur[x] = (uint16_t)(bs + dk[x]);
                else
                    for (size_t x = x0; x < x1; x++)
                        cur[x] = (uint16_t)(above[x] + dk[x]);
                xb[k] = x1;
            }
            t++;
            continue;
        }
        /* a span of consecutive tiles of the same predictor (not NONE: its base is per tile) runs through one
         * inner loop: the stagger only restarts where the predictor changes */
        size_t t2 = t + 1;
        while (t2 < ntx && choice[t2] == p)
            t2++;
        const size_t x1 = t2 * tw < nx ? t2 * tw : nx;
        const size_t xs = x0 + R < x1 ? x0 + R : x1; /* the inner loop starts here */
        int aligned = nx >= 2; /* every row done up to x0: the first pixels are all in this span */
        for (unsigned k = 0; k < R; k++)
            aligned &= xb[k] == x0;
        if (aligned) {
            size_t from[GROUP_MAX], to[GROUP_MAX];
            for (unsigned k = 0; k < R; k++) {
                from[k] = x0;
                to[k] = xs >= x0 + k ? xs - k : x0;
            }
            staggers[p](Rw, Zr, R, from, to, nx);
            for (unsigned k = 0; k < R; k++)
                xb[k] = to[k];
        }
        for (unsigned k = 0; k < R; k++) /* the first pixels, staggered: row k up to xs - k */
            ADVANCE(k, xs >= k ? xs - k : 0);
        const size_t xf = x1 < nx - 1 ? x1 : nx - 1; /* row 0's last column has d = b: general rule */
        int ready = xf > xs && xs >= R;
        for (unsigned k = 0; k < R; k++)
            ready &= xb[k] == xs - k;
        if (ready) {
#if PMC_X86
            if (avx2 && (R == 8 || R == 16)) {
                /* the wavefront's lag L: rows k first brought to s0 - L * k (AVG4: L = 2, one more pixel per
                 * row below), then whole blocks of 8 steps; the last block overlaps the one before it when the
                 * steps do not fill a block (pixels computed again, the same values) */
                const size_t L = p == PMP_AVG4 ? 2 : 1, s0 = xs + (L - 1) * (R - 1);
                if (xf >= s0 + 8) {
                    if (L == 2) {
                        size_t to[GROUP_MAX];
                        for (unsigned k = 0; k < R; k++)
                            to[k] = s0 - L * k;
                        staggers[p](Rw, Zr, R, xb, to, nx);
                    }
                    const size_t nblk = (xf - s0) / 8;
                    waves[p](Rw, Zr, s0, nblk);
                    if (s0 + 8 * nblk < xf)
                        waves[p](Rw, Zr, xf - 8, 1);
                    for (unsigned k = 0; k < R; k++)
                        xb[k] = xf - L * k;
                }
            } else
#endif
            {
                (R == 4 ? quads : R == 3 ? triples : pairs)[p](Rw, Zr, xs, xf, base[t]);
                for (unsigned k = 0; k < R; k++)
                    xb[k] = xf - k;
            }
            if (x1 >= nx) { /* the last span: the ends of the rows, all in this span (xf - k > x0) */
                size_t to[GROUP_MAX];
                for (unsigned k = 0; k < R; k++)
                    to[k] = nx;
                staggers[p](Rw, Zr, R, xb, to, nx);
                for (unsigned k = 0; k < R; k++)
                    xb[k] = nx;
            }
        }
        for (unsigned k = 0; k < R; k++) /* the rest of the span; the last span to the end of the rows */
            ADVANCE(k, x1 >= nx ? nx : x1 >= k ? x1 - k : 0);
        t = t2;
    }
#undef ADVANCE
}

typedef char pmp_check_rows[PMP_DECODE_ROWS == GROUP_MAX + 2 ? 1 : -1];
#if PMC_X86
typedef char pmp_check_wave[WAVE_MAX == GROUP_MAX ? 1 : -1];
#endif

int pmp_decode(const uint16_t *d, const pmp_geometry *g, const uint8_t *choice, const uint16_t *base,
               pmq_stage *stage, void *out, uint16_t *rows, int simd)
{
    const size_t ny = g->ny, nx = g->nx, th = g->th, tw = g->tw;
    const int avx2 = pmc_use_avx2(simd);
    const unsigned gmax = avx2 ? (unsigned)GROUP_MAX : (unsigned)GROUP_SCALAR; /* rows of a whole group */
    if (g->nplanes == 0 || ny == 0 || nx == 0)
        return PMC_OK;
    const size_t nty = (ny + th - 1) / th, ntx = (nx + tw - 1) / tw;
    const size_t ntiles = g->nplanes * nty * ntx;
    for (size_t t = 0; t < ntiles; t++) /* every predictor number is checked before any is used */
        if (choice[t] >= PMP_COUNT)
            return PMC_E_CORRUPT;
    int rc = PMC_OK;
    size_t t_plane = 0;
    for (size_t pl = 0; pl < g->nplanes && rc == PMC_OK; pl++, t_plane += nty * ntx) {
        /* Rw[0]: the row above; Rw[1 ..]: the rows being decoded */
        uint16_t *Rw[GROUP_MAX + 1];
        for (unsigned k = 0; k <= GROUP_MAX; k++)
            Rw[k] = rows + k * nx;
        /* the current band of tiles: rows up to band_end, its tiles from trow */
        size_t band_end = th < ny ? th : ny, trow = t_plane;
        for (size_t y = 0; y < ny && rc == PMC_OK;) {
            const size_t row = pl * ny + y;
            const uint16_t *zr = d + row * nx;
            if (y >= band_end) {
                band_end = ny - band_end > th ? band_end + th : ny;
                trow += ntx;
            }
            /* rows y .. y + R - 1 of one band are decoded together (gmax, else 8 with AVX2, else up to
             * GROUP_SCALAR; row 0 alone) */
            const size_t left = band_end - y;
#if PMC_X86
            /* AVX2, a band whose tiles all have one predictor with a left neighbour: whole rows in the
             * wavefront, any number of rows up to gmax (lanes past them computed into the spare row) */
            int whole = 0;
            if (avx2 && y > 0 && left >= 2 && nx >= 8) {
                whole = choice[trow];
                for (size_t tx = 1; tx < ntx; tx++)
                    whole = choice[trow + tx] == whole ? whole : 0;
                whole = whole == PMP_UP ? 0 : whole;
            }
            const unsigned R = whole                   ? (left >= gmax ? gmax : (unsigned)left)
                               : y == 0                ? 1u
#else
            const unsigned R = y == 0 ? 1u
#endif
                               : left >= gmax             ? gmax
                               : left >= 8 && gmax >= 8   ? 8u
                               : left >= GROUP_SCALAR     ? (unsigned)GROUP_SCALAR
                                                          : (unsigned)left;
#if PMC_X86
            if (whole) {
                typedef void (*rows_fn)(uint16_t *const *, const uint16_t *const *, size_t);
                static const rows_fn rows8[PMP_COUNT] = {NULL, rows8_left, NULL, rows8_avg2, rows8_avg4, rows8_med};
                static const rows_fn rows16[PMP_COUNT] = {NULL, rows16_left, NULL, rows16_avg2, rows16_avg4,
                                                          rows16_med};
                uint16_t *const spare = rows + (GROUP_MAX + 1) * nx; /* the uint8 stage's row, free until then */
                const unsigned G = R <= 8 ? 8u : 16u;
                uint16_t *Wr[GROUP_MAX + 1];
                const uint16_t *Wz[GROUP_MAX];
                for (unsigned k = 0; k <= G; k++)
                    Wr[k] = k <= R ? Rw[k] : spare;
                for (unsigned k = 0; k < G; k++)
                    Wz[k] = k < R ? zr + k * nx : spare;
                (G == 8 ? rows8 : rows16)[whole](Wr, Wz, nx);
            } else
#endif
            if (R > 1) {
                const uint16_t *Zr[GROUP_MAX];
                for (unsigned k = 0; k < R; k++)
                    Zr[k] = zr + k * nx;
                unpredict_group(Rw, Zr, R, nx, tw, choice + trow, base + trow, avx2);
            } else {
                for (size_t tx = 0; tx < ntx; tx++) {
                    const size_t x0 = tx * tw, x1 = x0 + tw < nx ? x0 + tw : nx;
                    if (y == 0)
                        unpredict_first_row(Rw[1], zr, x0, x1, choice[trow + tx], base[trow + tx]);
                    else
                        unpredict_row(Rw[1], Rw[0], zr, x0, x1, nx, choice[trow + tx], base[trow + tx]);
                }
            }
            for (unsigned k = 0; k < R && rc == PMC_OK; k++)
                rc = pmq_stage_emit(stage, Rw[k + 1], nx, (row + k) * nx,
                                    (char *)out + (row + k) * nx * (size_t)stage->itemsize, rows + (GROUP_MAX + 1) * nx,
                                    avx2);
            /* the last row decoded becomes the row above */
            uint16_t *const last = Rw[R];
            Rw[R] = Rw[0];
            Rw[0] = last;
            y += R;
        }
    }
    return rc;
}
