/* test_api.c - the public interface, used as an outside program would: this
 * file includes only pymecompress.h (it is compiled with -Iinclude alone).
 *
 * It encodes a synthetic camera frame stack with both modes, reads the
 * header back, decodes with library-allocated and with caller scratch (also
 * at odd addresses), and checks the contract's refusals: scratch one byte
 * short, quantizer tables of other parameters, a corrupted byte under a
 * CRC, parameters outside pmc_quant_limits, values too wide for n-bit
 * packing.  Exits 1 on the first failed check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pymecompress.h"

static int failures;

#define CHECK(cond, what)                                                                                        \
    do {                                                                                                         \
        if (!(cond)) {                                                                                           \
            fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, (what), #cond);                         \
            failures++;                                                                                          \
        }                                                                                                        \
    } while (0)

/* a photon-limited scene: a smooth background and a few bright spots, Poisson-like noise from an LCG */
static void scene(uint16_t *img, size_t nplanes, size_t ny, size_t nx)
{
    uint32_t state = 12345u;
    for (size_t p = 0; p < nplanes; p++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                const double dx = (double)x - 0.3 * (double)nx, dy = (double)y - 0.6 * (double)ny;
                const double mean = 20.0 + 400.0 * exp(-(dx * dx + dy * dy) / 50.0) + (double)p;
                state = state * 1664525u + 1013904223u;
                const double u = (double)(state >> 8) / 16777216.0 - 0.5;
                img[(p * ny + y) * nx + x] = (uint16_t)(100.0 + 2.0 * (mean + 3.46 * sqrt(mean) * u));
            }
}

static void test_chunks(void)
{
    const size_t nplanes = 3, ny = 70, nx = 90, n = nplanes * ny * nx;
    uint16_t *img = (uint16_t *)malloc(n * sizeof(uint16_t));
    scene(img, nplanes, ny, nx);

    pmc_quant *q = (pmc_quant *)malloc(pmc_quant_size());
    CHECK(pmc_quant_init(q, 100.0, 2.0, 1.5, 1.0) == PMC_OK, "pmc_quant_init");
    double params[4];
    pmc_quant_params(q, params);
    CHECK(params[PMC_PARAM_OFFSET] == 100.0 && params[PMC_PARAM_STEP] == 1.0, "pmc_quant_params");
    CHECK(pmc_quant_ncodes(q) > 1 && pmc_quant_ncodes(q) <= PMC_QUANT_LEVELS, "code count");

    for (int mode = PMC_MODE_LOSSLESS; mode <= PMC_MODE_QUANT; mode++) {
        const size_t cap = pmc_encode_bound(n, nx, ny, mode);
        uint8_t *dst = (uint8_t *)malloc(cap);
        size_t written = 0, w2 = 0;
        CHECK(pmc_encode(img, n, 2, nx, ny, mode, q, NULL, 1, dst, cap, &written, NULL, 0, PMC_SIMD_AUTO) == PMC_OK,
              "encode, library scratch");
        /* caller scratch at an odd address gives the same bytes */
        const size_t es = pmc_encode_scratch_size(n, nx, ny);
        uint8_t *escratch = (uint8_t *)malloc(es + 1), *dst2 = (uint8_t *)malloc(cap);
        CHECK(pmc_encode(img, n, 2, nx, ny, mode, q, NULL, 1, dst2, cap, &w2, escratch + 1, es - 1, PMC_SIMD_AUTO) ==
                  PMC_E_SCRATCH, "encode scratch one byte short");
        CHECK(pmc_encode(img, n, 2, nx, ny, mode, q, NULL, 1, dst2, cap, &w2, escratch + 1, es, PMC_SIMD_PORTABLE) ==
                  PMC_OK, "encode, caller scratch");
        CHECK(w2 == written && memcmp(dst, dst2, written) == 0, "scratch and SIMD choice change no byte");

        pmc_info info;
        CHECK(pmc_stream_info(dst, written, &info) == PMC_OK, "stream info");
        CHECK(info.n == n && info.nx == nx && info.ny == ny && info.mode == mode && info.itemsize == 2, "header");
        CHECK((info.flags & PMC_FLAG_CRC) != 0, "CRC flag");

        uint16_t *out = (uint16_t *)malloc(n * sizeof(uint16_t) + 2);
        CHECK(pmc_decode(dst, written, out, n * 2, q, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_OK, "decode");
        if (mode == PMC_MODE_LOSSLESS)
            CHECK(memcmp(out, img, n * 2) == 0, "lossless round trip");
        size_t worst = 0;
        for (size_t i = 0; i < n && mode == PMC_MODE_QUANT; i++) {
            uint16_t code_in, code_out;
            pmc_quantize(q, &img[i], 1, &code_in);
            pmc_quantize(q, &out[i], 1, &code_out);
            worst += code_in != code_out;
        }
        CHECK(worst == 0, "every decoded value re-encodes to its code");

        /* caller scratch, output at an odd address: same values */
        uint8_t *odd = (uint8_t *)out + 1;
        const size_t ds = pmc_decode_scratch_size(&info, odd);
        CHECK(ds > pmc_decode_scratch_size(&info, out), "an odd output address needs room for the codes");
        uint8_t *dscratch = (uint8_t *)malloc(ds);
        CHECK(pmc_decode(dst, written, odd, n * 2, q, NULL, dscratch, ds - 1, PMC_SIMD_AUTO) == PMC_E_SCRATCH,
              "decode scratch one byte short");
        CHECK(pmc_decode(dst, written, odd, n * 2, q, NULL, dscratch, ds, PMC_SIMD_PORTABLE) == PMC_OK,
              "decode, caller scratch, odd address");
        uint16_t *again = (uint16_t *)malloc(n * sizeof(uint16_t));
        CHECK(pmc_decode(dst, written, again, n * 2, q, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_OK, "decode again");
        CHECK(memcmp(odd, again, n * 2) == 0, "odd address and caller scratch change no value");

        if (mode == PMC_MODE_QUANT) {
            pmc_quant *other = (pmc_quant *)malloc(pmc_quant_size());
            CHECK(pmc_quant_init(other, 100.0, 2.0, 1.5, 0.5) == PMC_OK, "other tables");
            CHECK(pmc_decode(dst, written, again, n * 2, other, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_E_TABLES,
                  "tables of other parameters are refused");
            CHECK(pmc_decode(dst, written, again, n * 2, NULL, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_E_PARAM,
                  "a quantized chunk needs tables");
            free(other);
        }
        CHECK(pmc_decode(dst, written, again, n * 2 - 2, q, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_E_OUTPUT,
              "wrong output size");
        dst[written / 2] ^= 0x10;
        CHECK(pmc_decode(dst, written, again, n * 2, q, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_E_CHECKSUM,
              "a flipped bit under a CRC");
        CHECK(strstr(pmc_strerror(PMC_E_CHECKSUM), "checksum") != NULL, "message of PMC_E_CHECKSUM");
        free(dst);
        free(dst2);
        free(escratch);
        free(dscratch);
        free(out);
        free(again);
    }
    free(q);
    free(img);
}

static void test_quant_limits(void)
{
    pmc_quant *q = (pmc_quant *)malloc(pmc_quant_size());
    const char *names[4] = {"offset", "gain", "read_noise", "step"};
    for (int i = 0; i < 4; i++) {
        double lo, hi;
        const char *name = pmc_quant_limits(i, &lo, &hi);
        CHECK(name && strcmp(name, names[i]) == 0 && lo < hi, "limits name and order");
        double p[4] = {100.0, 2.0, 1.5, 1.0};
        p[i] = hi;
        CHECK(pmc_quant_init(q, p[0], p[1], p[2], p[3]) == PMC_OK, "the upper limit is allowed");
        p[i] = hi * 1.5 + 1.0;
        CHECK(pmc_quant_init(q, p[0], p[1], p[2], p[3]) == PMC_E_PARAM, "above the limit is refused");
        p[i] = NAN;
        CHECK(pmc_quant_init(q, p[0], p[1], p[2], p[3]) == PMC_E_PARAM, "NaN is refused");
    }
    CHECK(pmc_quant_limits(4, NULL, NULL) == NULL, "no fifth parameter");
    free(q);
}

static void test_nbit_and_segments(void)
{
    const uint16_t v[5] = {0, 4095, 17, 2048, 1};
    uint8_t packed[8];
    uint16_t back[5];
    CHECK(pmc_nbit_size(5, 12) == 8, "n-bit size");
    CHECK(pmc_nbit_pack(v, 5, 2, 12, packed, sizeof packed) == PMC_OK, "pack");
    CHECK(pmc_nbit_unpack(packed, 8, 12, back, 5, 2) == PMC_OK && memcmp(back, v, sizeof v) == 0, "unpack");
    CHECK(pmc_nbit_pack(v, 5, 2, 11, packed, sizeof packed) == PMC_E_RANGE, "too wide for 11 bits");

    uint16_t z[1000], z2[1000];
    for (int i = 0; i < 1000; i++)
        z[i] = (uint16_t)((i * 7919) % 23);
    uint8_t seg[4096], scratch[PMC_SEGMENT_ENCODE_SCRATCH > PMC_SEGMENT_DECODE_SCRATCH ? PMC_SEGMENT_ENCODE_SCRATCH
                                                                                     : PMC_SEGMENT_DECODE_SCRATCH];
    size_t w = 0;
    CHECK(pmc_segment_bound(1000) <= sizeof seg, "segment bound");
    CHECK(pmc_segment_encode(z, 1000, seg, sizeof seg, &w, scratch) == PMC_OK, "segment encode");
    CHECK(pmc_segment_decode(seg, w, z2, 1000, scratch) == PMC_OK && memcmp(z, z2, sizeof z) == 0,
          "segment decode");
    CHECK(pmc_crc32c((const uint8_t *)"123456789", 9, PMC_SIMD_AUTO) == 0xE3069283u, "CRC-32C check value");
}

/* uint8 data in mode 1: decoded values stay uint8 (the code of 255 clamped), each re-encodes to its code */
static void test_uint8_quantized(void)
{
    const size_t n = 4 * 256;
    uint8_t img[4 * 256], out[4 * 256];
    for (size_t i = 0; i < n; i++)
        img[i] = (uint8_t)(i / 4);
    pmc_quant *q = (pmc_quant *)malloc(pmc_quant_size());
    CHECK(pmc_quant_init(q, 16.0, 0.5, 0.0, 2.0) == PMC_OK, "uint8 tables");
    const size_t cap = pmc_encode_bound(n, 64, 16, PMC_MODE_QUANT);
    uint8_t *dst = (uint8_t *)malloc(cap);
    size_t w = 0;
    CHECK(pmc_encode(img, n, 1, 64, 16, PMC_MODE_QUANT, q, NULL, 1, dst, cap, &w, NULL, 0, PMC_SIMD_AUTO) == PMC_OK,
          "encode uint8 in mode 1");
    pmc_info info;
    CHECK(pmc_stream_info(dst, w, &info) == PMC_OK && info.itemsize == 1 && info.mode == PMC_MODE_QUANT, "header");
    CHECK(pmc_decode(dst, w, out, n, q, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_OK, "decode uint8 in mode 1");
    const uint16_t *enc = pmc_quant_encode_table(q);
    const uint16_t *dec = pmc_quant_decode_table(q);
    int same = 1;
    for (size_t i = 0; i < n; i++)
        same &= enc[out[i]] == enc[img[i]];
    CHECK(same, "every decoded uint8 value has its original's code");
    CHECK(dec[4 * (size_t)enc[255]] > 255 && out[n - 1] == 255, "the code of 255 decodes above 255: clamped");
    free(dst);
    free(q);
}

/* A dithered quantizer of the caller's memory, or NULL (a failed check) */
static pmc_dquant *dquant(double offset, double gain, double read_noise, double step, uint32_t saturation)
{
    const size_t size = pmc_dquant_size(offset, gain, read_noise, step, saturation);
    CHECK(size > 0, "pmc_dquant_size");
    pmc_dquant *q = (pmc_dquant *)malloc(size);
    CHECK(pmc_dquant_init(q, size - 1, offset, gain, read_noise, step, saturation) == PMC_E_OUTPUT,
          "pmc_dquant_init refuses memory one byte short");
    CHECK(pmc_dquant_init(q, size, offset, gain, read_noise, step, saturation) == PMC_OK, "pmc_dquant_init");
    return q;
}

/* Version 2 chunks: the dithered quantizer keeps 0 and the saturation value exact, decodes every value within
 * its bin (re-encoding gives the same stream), needs tables of the header's parameters and saturation value, and
 * refuses a code no phase of its tables names. */
static void test_dithered(void)
{
    const size_t nplanes = 2, ny = 70, nx = 90, n = nplanes * ny * nx;
    uint16_t *img = (uint16_t *)malloc(n * sizeof(uint16_t)), *out = (uint16_t *)malloc(n * sizeof(uint16_t));
    uint16_t *codes = (uint16_t *)malloc(n * sizeof(uint16_t)), *again = (uint16_t *)malloc(n * sizeof(uint16_t));
    scene(img, nplanes, ny, nx);
    for (size_t i = 0; i < n; i += 97) /* zeros, saturated values and values above saturation */
        img[i] = (uint16_t)(i % 3 == 0 ? 0 : i % 3 == 1 ? 4095 : 5000);
    CHECK(pmc_dquant_size(100.0, 2.0, 1.5, 1.0, 0) == 0 && pmc_dquant_size(100.0, 0.0, 1.5, 1.0, 4095) == 0 &&
              pmc_dquant_size(100.0, 2.0, 1.5, 1.0, 65536) == 0, "pmc_dquant_size refuses bad parameters");
    pmc_dquant *q = dquant(100.0, 2.0, 1.5, 1.0, 4095);
    double params[4];
    pmc_dquant_params(q, params);
    CHECK(params[PMC_PARAM_GAIN] == 2.0 && pmc_dquant_saturation(q) == 4095, "pmc_dquant_params, saturation");
    const uint32_t *fine = pmc_dquant_fine_table(q);
    CHECK(fine[0] == 0 && fine[1] == PMC_DITHER_PHASES && fine[4095] == fine[65535] &&
              pmc_dquant_levels(q) == (size_t)fine[4095] + PMC_DITHER_PHASES, "fine index: 0 and saturation apart");

    pmc_dquantize(q, img, n, codes);
    CHECK(pmc_ddequantize(q, codes, n, out) == PMC_OK, "pmc_ddequantize");
    int exact = 1, same = 1;
    for (size_t i = 0; i < n; i++) {
        exact &= img[i] == 0 ? out[i] == 0 : img[i] >= 4095 ? out[i] == 4095 : out[i] != 0 && out[i] != 4095;
    }
    pmc_dquantize(q, out, n, again);
    for (size_t i = 0; i < n; i++)
        same &= again[i] == codes[i];
    CHECK(exact, "0 and the saturation value decode exactly, and nothing else decodes to them");
    CHECK(same, "decoded values quantize to the same codes");

    const size_t cap = pmc_encode_bound(n, nx, ny, PMC_MODE_QUANT);
    uint8_t *dst = (uint8_t *)malloc(cap), *dst2 = (uint8_t *)malloc(cap);
    size_t w = 0, w2 = 0;
    CHECK(pmc_encode(img, n, 2, nx, ny, PMC_MODE_QUANT, NULL, q, 1, dst, cap, &w, NULL, 0, PMC_SIMD_AUTO) == PMC_OK,
          "encode a version 2 chunk");
    pmc_info info;
    CHECK(pmc_stream_info(dst, w, &info) == PMC_OK && info.version == 2 && info.saturation == 4095 &&
              info.header_size == 72, "version 2 header");
    uint16_t *dec = (uint16_t *)malloc(n * sizeof(uint16_t));
    CHECK(pmc_decode(dst, w, dec, n * 2, NULL, q, NULL, 0, PMC_SIMD_AUTO) == PMC_OK, "decode a version 2 chunk");
    CHECK(memcmp(dec, out, n * sizeof(uint16_t)) == 0, "the chunk decodes as pmc_ddequantize does");
    CHECK(pmc_encode(dec, n, 2, nx, ny, PMC_MODE_QUANT, NULL, q, 1, dst2, cap, &w2, NULL, 0, PMC_SIMD_PORTABLE) ==
              PMC_OK && w2 == w && memcmp(dst, dst2, w) == 0, "re-encoding decoded data gives the same stream");
    CHECK(pmc_encode(img, n, 2, nx, ny, PMC_MODE_QUANT, NULL, q, 1, dst2, cap, &w2, NULL, 0, PMC_SIMD_PORTABLE) ==
              PMC_OK && w2 == w && memcmp(dst, dst2, w) == 0, "the portable encoder writes the same stream");
    CHECK(pmc_decode(dst, w, again, n * 2, NULL, q, NULL, 0, PMC_SIMD_PORTABLE) == PMC_OK &&
              memcmp(again, dec, n * sizeof(uint16_t)) == 0, "the portable decoder gives the same values");
    CHECK(pmc_encode(img, n, 2, nx, ny, PMC_MODE_QUANT, NULL, NULL, 1, dst2, cap, &w2, NULL, 0, PMC_SIMD_AUTO) ==
              PMC_E_PARAM, "mode 1 without a quantizer");
    pmc_quant *q1 = (pmc_quant *)malloc(pmc_quant_size());
    CHECK(pmc_quant_init(q1, 100.0, 2.0, 1.5, 1.0) == PMC_OK, "version 1 tables");
    CHECK(pmc_decode(dst, w, dec, n * 2, q1, NULL, NULL, 0, PMC_SIMD_AUTO) == PMC_E_PARAM,
          "a version 2 chunk needs the dithered quantizer");
    pmc_dquant *other = dquant(100.0, 2.0, 1.5, 1.0, 4094);
    CHECK(pmc_decode(dst, w, dec, n * 2, NULL, other, NULL, 0, PMC_SIMD_AUTO) == PMC_E_TABLES,
          "tables of another saturation value");
    /* a code above every window, in a chunk of its own */
    codes[5] = 65535;
    CHECK(pmc_ddequantize(q, codes, n, dec) == PMC_E_CORRUPT, "a code no phase names is refused");

    /* uint8 data: saturation 255 exact, above 255 refused */
    uint8_t img8[4 * 256], out8[4 * 256];
    for (size_t i = 0; i < 4 * 256; i++)
        img8[i] = (uint8_t)(i / 4);
    pmc_dquant *q8 = dquant(16.0, 0.5, 0.0, 2.0, 255);
    const size_t cap8 = pmc_encode_bound(4 * 256, 64, 16, PMC_MODE_QUANT);
    uint8_t *d8 = (uint8_t *)malloc(cap8);
    CHECK(pmc_encode(img8, 4 * 256, 1, 64, 16, PMC_MODE_QUANT, NULL, q8, 1, d8, cap8, &w, NULL, 0, PMC_SIMD_AUTO) ==
              PMC_OK, "encode uint8 with the dithered quantizer");
    CHECK(pmc_decode(d8, w, out8, 4 * 256, NULL, q8, NULL, 0, PMC_SIMD_AUTO) == PMC_OK, "decode uint8, version 2");
    CHECK(out8[0] == 0 && out8[4 * 256 - 1] == 255 && out8[4 * 256 - 5] != 255, "uint8: 0 and 255 exact");
    CHECK(pmc_encode(img8, 4 * 256, 1, 64, 16, PMC_MODE_QUANT, NULL, q, 1, d8, cap8, &w, NULL, 0, PMC_SIMD_AUTO) ==
              PMC_E_PARAM, "uint8 with a saturation value above 255");
    free(d8);
    free(q8);
    free(other);
    free(q1);
    free(dec);
    free(dst2);
    free(dst);
    free(q);
    free(again);
    free(codes);
    free(out);
    free(img);
}

/* One decoding context decodes streams of many parameter sets, versions and
 * modes, in turns that make it drop and rebuild quantizers, exactly as
 * pmc_decode does with tables built for each stream. */
static void test_context(void)
{
    enum { NSETS = PMC_DCTX_TABLES + 3 };
    const size_t nplanes = 2, ny = 40, nx = 50, n = nplanes * ny * nx;
    uint16_t *img = (uint16_t *)malloc(n * sizeof(uint16_t));
    scene(img, nplanes, ny, nx);
    uint8_t *streams[NSETS];
    size_t lengths[NSETS];
    uint16_t *want[NSETS];
    for (int k = 0; k < NSETS; k++) {
        const double step = 0.5 + 0.25 * k;
        const int mode = k == 0 ? PMC_MODE_LOSSLESS : PMC_MODE_QUANT, dither = k % 2;
        pmc_quant *q = NULL;
        pmc_dquant *dq = NULL;
        if (mode == PMC_MODE_QUANT && dither) {
            const size_t size = pmc_dquant_size(100.0, 2.0, 1.5, step, 65535u);
            dq = (pmc_dquant *)malloc(size);
            CHECK(pmc_dquant_init(dq, size, 100.0, 2.0, 1.5, step, 65535u) == PMC_OK, "dithered tables");
        } else if (mode == PMC_MODE_QUANT) {
            q = (pmc_quant *)malloc(pmc_quant_size());
            CHECK(pmc_quant_init(q, 100.0, 2.0, 1.5, step) == PMC_OK, "tables");
        }
        const size_t cap = pmc_encode_bound(n, nx, ny, mode);
        streams[k] = (uint8_t *)malloc(cap);
        CHECK(pmc_encode(img, n, 2, nx, ny, mode, q, dq, k % 3 == 0, streams[k], cap, &lengths[k], NULL, 0,
                         PMC_SIMD_AUTO) == PMC_OK, "encode");
        want[k] = (uint16_t *)malloc(n * sizeof(uint16_t));
        CHECK(pmc_decode(streams[k], lengths[k], want[k], n * 2, q, dq, NULL, 0, PMC_SIMD_AUTO) == PMC_OK, "decode");
        free(q);
        free(dq);
    }
    pmc_dctx *ctx = pmc_dctx_create();
    CHECK(ctx != NULL, "pmc_dctx_create");
    uint8_t *block = (uint8_t *)malloc(n * sizeof(uint16_t) + 1);
    static const int order[] = {1, 2, 1, 3, 4, 5, 6, 0, 1, 6, 2, 2, 5, 3, 4, 0, 6, 1};
    for (size_t t = 0; t < sizeof order / sizeof order[0]; t++) {
        const int k = order[t];
        uint8_t *out = block + (t % 2); /* even and odd addresses */
        memset(block, 0xA5, n * 2 + 1);
        CHECK(pmc_dctx_decode(ctx, streams[k], lengths[k], out, n * 2, (int)(t % 2)) == PMC_OK, "context decode");
        CHECK(memcmp(out, want[k], n * 2) == 0, "the context decodes as pmc_decode does");
    }
    CHECK(pmc_dctx_decode(ctx, streams[1], lengths[1], block, n * 2 - 2, PMC_SIMD_AUTO) == PMC_E_OUTPUT,
          "context: wrong output size");
    CHECK(pmc_dctx_decode(ctx, streams[1], 3, block, n * 2, PMC_SIMD_AUTO) == PMC_E_TRUNCATED, "context: truncated");
    CHECK(pmc_dctx_decode(NULL, streams[1], lengths[1], block, n * 2, PMC_SIMD_AUTO) == PMC_E_PARAM, "no context");
    /* a header whose gain is outside its limits: refused by the header check, by the context too */
    uint8_t *bad = (uint8_t *)malloc(lengths[2]);
    memcpy(bad, streams[2], lengths[2]);
    const double gain = -1.0;
    memcpy(bad + 40, &gain, sizeof gain); /* little-endian f64 on the machines this runs on */
    pmc_info info;
    CHECK(pmc_stream_info(bad, lengths[2], &info) == PMC_E_QPARAMS, "header: gain outside its limits");
    CHECK(pmc_dctx_decode(ctx, bad, lengths[2], block, n * 2, PMC_SIMD_AUTO) == PMC_E_QPARAMS,
          "context: gain outside its limits");
    free(bad);
    pmc_dctx_free(ctx);
    pmc_dctx_free(NULL);
    for (int k = 0; k < NSETS; k++) {
        free(streams[k]);
        free(want[k]);
    }
    free(block);
    free(img);
}

static void test_version_and_statuses(void)
{
    char text[32];
    snprintf(text, sizeof text, "%d.%d.%d", PMC_VERSION_MAJOR, PMC_VERSION_MINOR, PMC_VERSION_PATCH);
    CHECK(strcmp(pmc_version_string(), text) == 0, "pmc_version_string gives the header's version");
    CHECK(pmc_version() == PMC_VERSION_NUMBER, "pmc_version gives the header's version number");
    static const int stream[] = {PMC_E_TRUNCATED, PMC_E_CORRUPT, PMC_E_TABLE, PMC_E_MAGIC, PMC_E_VERSION,
                                 PMC_E_CHECKSUM, PMC_E_TRAILING, PMC_E_QPARAMS};
    static const int other[] = {PMC_OK, PMC_E_OUTPUT, PMC_E_NOMEM, PMC_E_PARAM, PMC_E_RANGE, PMC_E_SCRATCH,
                                PMC_E_TABLES, 1, -1000};
    for (size_t i = 0; i < sizeof stream / sizeof stream[0]; i++)
        CHECK(pmc_is_stream_error(stream[i]) == 1, "a stream error");
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        CHECK(pmc_is_stream_error(other[i]) == 0, "not a stream error");
}

int main(void)
{
    test_version_and_statuses();
    test_context();
    test_chunks();
    test_uint8_quantized();
    test_dithered();
    test_quant_limits();
    test_nbit_and_segments();
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    else
        printf("public interface: all checks passed\n");
    return failures ? 1 : 0;
}
