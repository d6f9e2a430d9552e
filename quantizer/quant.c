/* quant.c - tables of the camera-model quantizer (see docs/FORMAT.md). */
#include "quant.h"

#include <math.h>
#include <string.h>

#if PMC_X86
#include <immintrin.h>
#endif

/* The parameter ranges of docs/FORMAT.md: they keep every quantity of the
 * table construction finite and nonzero. */
static const struct {
    const char *name;
    double min, max;
} LIMITS[4] = {
    {"offset", -1e6, 1e6},
    {"gain", 1e-6, 1e6},
    {"read_noise", 0.0, 1e4},
    {"step", 1e-3, 1e3},
};

const char *pmc_quant_limits(int i, double *min, double *max)
{
    if (i < 0 || i > 3)
        return NULL;
    if (min)
        *min = LIMITS[i].min;
    if (max)
        *max = LIMITS[i].max;
    return LIMITS[i].name;
}

/* Variance-stabilised value of ADU value x, in units of the noise sigma.
 * Above the offset: generalised Anscombe 2*sqrt(e + 3/8 + rn^2) with
 * e = (x - offset) / gain photo-electrons; below it the tangent line at the
 * offset, so steps there are limited by the read noise.  The operation order
 * is normative (independent decoders must rebuild the same tables). */
static double vst(double x, double offset, double gain, double v0, double sv0)
{
    double e = (x - offset) / gain;
    if (e >= 0.0)
        return 2.0 * sqrt(e + v0);
    return 2.0 * sv0 + e / sv0;
}

/* The four decoded values of the code covering ADU values lo..hi.
 *
 * Above the offset a code's interval widens with the signal (its width W
 * grows like the noise), so its midpoint overestimates the mean of the values
 * that fall in it by W^2 / (12 (mid - x0)), x0 being where the Anscombe
 * argument vanishes; summed over the codes a pixel visits that is a bias of
 * step^2/12 photo-electrons, which this removes.  The fractional point r is
 * then dithered over the element index (floor(r + 1/8), ..., floor(r + 7/8))
 * so that the mean of the decoded integers is r, and clamped to lo..hi so a
 * decoded value always re-encodes to the same code. */
static void reconstruct(uint32_t lo, uint32_t hi, double offset, double x0, uint16_t out[PMQ_PHASES])
{
    double mid = ((double)lo + (double)hi) / 2.0;
    double r = mid;
    if (mid >= offset) {
        double w = (double)(hi - lo) + 1.0;
        r = mid - w * w / (12.0 * (mid - x0));
    }
    for (int k = 0; k < PMQ_PHASES; k++) {
        double v = floor(r + (2.0 * k + 1.0) / 8.0);
        v = v < (double)lo ? (double)lo : v > (double)hi ? (double)hi : v;
        out[k] = (uint16_t)v;
    }
}

static int build_tables(double offset, double gain, double read_noise, double step, uint16_t *enc, uint16_t *dec,
                        uint32_t *ncodes)
{
    const double v0 = 0.375 + read_noise * read_noise;
    const double sv0 = sqrt(v0);
    const double x0 = offset - gain * v0;
    double prev_bin = 0.0;
    uint32_t code = 0, lo = 0;
    for (uint32_t x = 0; x < PMQ_TABLE_SIZE; x++) {
        double bin = floor(vst((double)x, offset, gain, v0, sv0) / step + 0.5);
        if (x > 0 && (bin != prev_bin || x == PMQ_TABLE_SIZE - 1)) {
            reconstruct(lo, x - 1, offset, x0, dec + PMQ_PHASES * (size_t)code);
            code++;
            lo = x;
        }
        enc[x] = (uint16_t)code;
        prev_bin = bin;
    }
    *ncodes = code + 1;
    /* the saturation value has its own code; unused codes repeat it */
    for (uint32_t c = code; c < PMQ_TABLE_SIZE; c++)
        for (int k = 0; k < PMQ_PHASES; k++)
            dec[PMQ_PHASES * (size_t)c + (size_t)k] = (uint16_t)(PMQ_TABLE_SIZE - 1);
    return PMC_OK;
}

size_t pmc_quant_size(void) { return sizeof(pmc_quant); }

int pmc_quant_init(pmc_quant *q, double offset, double gain, double read_noise, double step)
{
    if (!q)
        return PMC_E_PARAM;
    const double params[4] = {offset, gain, read_noise, step};
    q->ncodes = 0;
    for (int i = 0; i < 4; i++) /* NaN fails both comparisons */
        if (!(params[i] >= LIMITS[i].min && params[i] <= LIMITS[i].max))
            return PMC_E_PARAM;
    memcpy(q->params, params, sizeof params);
    return build_tables(offset, gain, read_noise, step, q->enc, q->dec, &q->ncodes);
}

void pmc_quant_params(const pmc_quant *q, double params[4]) { memcpy(params, q->params, sizeof q->params); }

uint32_t pmc_quant_ncodes(const pmc_quant *q) { return q->ncodes; }

const uint16_t *pmc_quant_encode_table(const pmc_quant *q) { return q->enc; }

const uint16_t *pmc_quant_decode_table(const pmc_quant *q) { return q->dec; }

int pmq_matches(const pmc_quant *q, const double params[4])
{
    /* equal values build equal tables (0.0 and -0.0 included); NaN never builds any */
    int same = q->ncodes > 0;
    for (int i = 0; i < 4; i++)
        same &= q->params[i] == params[i];
    return same;
}

void pmc_quantize(const pmc_quant *q, const uint16_t *in, size_t n, uint16_t *out) { pmq_map(in, n, q->enc, out); }

int pmc_dequantize(const pmc_quant *q, const uint16_t *codes, size_t n, size_t index0, uint16_t *out)
{
    return pmq_dequant(codes, n, index0, q->dec, q->ncodes, out, pmc_use_avx2(PMC_SIMD_AUTO));
}

void pmq_map(const uint16_t *in, size_t n, const uint16_t *lut, uint16_t *out)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint16_t a = lut[in[i]], b = lut[in[i + 1]], c = lut[in[i + 2]], d = lut[in[i + 3]];
        out[i] = a; out[i + 1] = b; out[i + 2] = c; out[i + 3] = d;
    }
    for (; i < n; i++)
        out[i] = lut[in[i]];
}

/* the largest of codes[0..n) */
static uint32_t max_code_portable(const uint16_t *codes, size_t n)
{
    uint32_t worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = codes[i] > worst ? codes[i] : worst;
    return worst;
}

#if PMC_X86
PMC_TARGET_AVX2 static uint32_t max_code_avx2(const uint16_t *codes, size_t n)
{
    __m256i mx = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        mx = _mm256_max_epu16(mx, _mm256_loadu_si256((const __m256i *)(const void *)(codes + i)));
    __m128i m = _mm_max_epu16(_mm256_castsi256_si128(mx), _mm256_extracti128_si256(mx, 1));
    m = _mm_max_epu16(m, _mm_srli_si128(m, 8));
    m = _mm_max_epu16(m, _mm_srli_si128(m, 4));
    m = _mm_max_epu16(m, _mm_srli_si128(m, 2));
    const uint32_t vec = (uint32_t)_mm_extract_epi16(m, 0), rest = max_code_portable(codes + i, n - i);
    return vec > rest ? vec : rest;
}
#endif

int pmq_dequant(const uint16_t *restrict codes, size_t n, size_t index0, const uint16_t *restrict dec,
                uint32_t ncodes, uint16_t *restrict out, int avx2)
{
    size_t i = 0;
    /* align the dither phase, then four elements of known phase at a time */
    for (; i < n && ((index0 + i) & 3u); i++)
        out[i] = dec[PMQ_PHASES * (size_t)codes[i] + ((index0 + i) & 3u)];
    for (; i + 4 <= n; i += 4) {
        const uint16_t v0 = dec[4 * (size_t)codes[i]], v1 = dec[4 * (size_t)codes[i + 1] + 1];
        const uint16_t v2 = dec[4 * (size_t)codes[i + 2] + 2], v3 = dec[4 * (size_t)codes[i + 3] + 3];
        out[i] = v0;
        out[i + 1] = v1;
        out[i + 2] = v2;
        out[i + 3] = v3;
    }
    for (; i < n; i++)
        out[i] = dec[PMQ_PHASES * (size_t)codes[i] + ((index0 + i) & 3u)];
    /* Codes >= ncodes (a corrupt stream) still index the table (it has an
     * entry for every 16-bit code); they are looked for in a pass of their
     * own, which with AVX2 costs far less than a comparison per value in the
     * loop above. */
#if PMC_X86
    const uint32_t worst = avx2 ? max_code_avx2(codes, n) : max_code_portable(codes, n);
#else
    (void)avx2;
    const uint32_t worst = max_code_portable(codes, n);
#endif
    return (n && worst >= ncodes) ? PMC_E_CORRUPT : PMC_OK;
}
