/* fuzz_pmcs.c - libFuzzer target of pmc_decode, the PMCS chunk decoder
 * (docs/FORMAT.md, "Chunk container"), lossless (mode 0) and quantized
 * (mode 1) streams.
 *
 * Input: one PMCS stream, the bytes a codec's decode() receives.
 *
 * Inputs whose header pmc_stream_info refuses, or whose output would exceed
 * MAX_OUT_BYTES, stop after the header check.  The others are decoded as the
 * Python binding decodes them: into an output buffer of exactly n * itemsize
 * bytes, in mode 1 with the quantizer pmc_quant_init (version 1) or
 * pmc_dquant_init (version 2) builds from the header's parameters (a stream
 * whose parameters it refuses is skipped: the binding raises DecodeError for
 * it before calling pmc_decode), with the
 * library allocating its scratch, and again with caller scratch of exactly
 * the size pmc_decode_scratch_size gives (refused when one byte smaller).  When the
 * header announces a CRC-32C trailer, a copy with the trailer recomputed is
 * decoded too, so that mutated streams also get past the checksum.
 *
 * Checks besides the sanitizers: every refusal is a DecodeError status; an
 * accepted stream decodes to the same bytes with the portable path, into a
 * misaligned buffer, whatever that buffer held before; re-encoding the
 * decoded data (of a non-empty chunk; the portable encoder from a misaligned
 * copy) gives byte-identical streams with and without AVX2, which decode to
 * the same data again (mode 1: the quantizer is idempotent).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

#define MAX_OUT_BYTES ((uint64_t)16 << 20) /* decoded size limit: 16 MiB */
#define ROUNDTRIP_MAX ((uint64_t)1 << 18)  /* re-encode chunks of at most this many elements */
#define NCACHE 4

/* Quantizers of the last few parameter sets (building one takes 65536
 * square roots; mutated streams mostly keep their parameters). */
typedef struct {
    uint64_t key[4]; /* bit patterns of offset, gain, read_noise, step */
    pmc_quant *q;    /* NULL: slot unused */
} tables;

static tables cache[NCACHE];
static unsigned next_slot;

/* Dithered quantizers (version 2) of the last few parameter sets. */
typedef struct {
    uint64_t key[4];
    uint32_t saturation;
    pmc_dquant *q; /* NULL: slot unused */
} dtables;

static dtables dcache[NCACHE];
static unsigned next_dslot;

/* What a stream is decoded with: q for version 1, dq for version 2. */
typedef struct {
    const pmc_quant *q;
    const pmc_dquant *dq;
} quantizers;

/* The dithered quantizer of params and saturation, or NULL when it is refused. */
static const pmc_dquant *get_dtables(const double params[4], uint32_t saturation)
{
    uint64_t key[4];
    memcpy(key, params, sizeof key);
    for (unsigned i = 0; i < NCACHE; i++)
        if (dcache[i].q && dcache[i].saturation == saturation && memcmp(dcache[i].key, key, sizeof key) == 0)
            return dcache[i].q;
    dtables *t = &dcache[next_dslot];
    free(t->q);
    t->q = NULL;
    const size_t size = pmc_dquant_size(params[0], params[1], params[2], params[3], saturation);
    if (!size)
        return NULL;
    t->q = (pmc_dquant *)fuzz_alloc(size);
    const int rc = pmc_dquant_init(t->q, size, params[0], params[1], params[2], params[3], saturation);
    FUZZ_CHECK(rc == PMC_OK, "pmc_dquant_init refuses what pmc_dquant_size accepted");
    FUZZ_CHECK(pmc_dquant_saturation(t->q) == saturation, "pmc_dquant_saturation differs from what init was given");
    memcpy(t->key, key, sizeof key);
    t->saturation = saturation;
    next_dslot = (next_dslot + 1) % NCACHE;
    return t->q;
}

/* The quantizer of params, or NULL when pmc_quant_init refuses them. */
static const pmc_quant *get_tables(const double params[4])
{
    uint64_t key[4];
    memcpy(key, params, sizeof key);
    for (unsigned i = 0; i < NCACHE; i++)
        if (cache[i].q && memcmp(cache[i].key, key, sizeof key) == 0)
            return cache[i].q;
    tables *t = &cache[next_slot];
    if (!t->q)
        t->q = (pmc_quant *)fuzz_alloc(pmc_quant_size());
    int rc = pmc_quant_init(t->q, params[0], params[1], params[2], params[3]);
    FUZZ_CHECK(rc == PMC_OK || rc == PMC_E_PARAM, "pmc_quant_init status");
    if (rc != PMC_OK) {
        free(t->q);
        t->q = NULL;
        return NULL;
    }
    const uint32_t ncodes = pmc_quant_ncodes(t->q);
    FUZZ_CHECK(ncodes >= 1 && ncodes <= PMC_QUANT_LEVELS, "pmc_quant_init code count");
    double back[4];
    pmc_quant_params(t->q, back);
    FUZZ_CHECK(memcmp(back, params, sizeof back) == 0, "pmc_quant_params differs from what init was given");
    memcpy(t->key, key, sizeof key);
    next_slot = (next_slot + 1) % NCACHE;
    return t->q;
}

/* The checks on a stream pmc_decode accepted; out holds what it decoded. */
static void check_accepted(const uint8_t *src, size_t len, const pmc_info *info, quantizers Q,
                           const uint8_t *out, size_t out_bytes)
{
    /* same result with the portable path, into a buffer holding other bytes
     * at an odd address (numpy hands over misaligned views too) */
    uint8_t *block = (uint8_t *)fuzz_alloc(out_bytes + 1), *again = block + 1;
    memset(again, 0x5A, out_bytes);
    int rc = pmc_decode(src, len, again, out_bytes, Q.q, Q.dq, NULL, 0, PMC_SIMD_PORTABLE);
    FUZZ_CHECK(rc == PMC_OK, "portable decode refuses what the default path accepts");
    FUZZ_CHECK(memcmp(again, out, out_bytes) == 0, "portable decode differs (or output depends on old bytes)");

    /* caller scratch of exactly the announced size (an exact heap block, so
     * ASan catches any use beyond it); one byte less is refused */
    const size_t need = pmc_decode_scratch_size(info, again);
    FUZZ_CHECK(need != SIZE_MAX, "scratch size of an accepted chunk overflows");
    uint8_t *scratch = (uint8_t *)fuzz_alloc(need);
    memset(again, 0x3C, out_bytes);
    rc = pmc_decode(src, len, again, out_bytes, Q.q, Q.dq, scratch, need - 1, PMC_SIMD_AUTO);
    FUZZ_CHECK(rc == PMC_E_SCRATCH, "scratch one byte short is not refused");
    rc = pmc_decode(src, len, again, out_bytes, Q.q, Q.dq, scratch, need, PMC_SIMD_AUTO);
    FUZZ_CHECK(rc == PMC_OK, "decoding with caller scratch fails");
    FUZZ_CHECK(memcmp(again, out, out_bytes) == 0, "decoding with caller scratch differs");
    free(scratch);

    /* An empty chunk is not re-encoded: its header may name any plane size,
     * for which the encoder would size its row buffers (the codecs always
     * encode empty chunks with nx = ny = 1). */
    if (info->n > 0 && info->n <= ROUNDTRIP_MAX) {
        const size_t n = (size_t)info->n;
        const size_t bound = pmc_encode_bound(n, info->nx, info->ny, info->mode);
        uint8_t *a = (uint8_t *)fuzz_alloc(bound), *b = (uint8_t *)fuzz_alloc(bound);
        size_t wa = 0, wb = 0;
        const int crc = (info->flags & PMC_FLAG_CRC) != 0;
        rc = pmc_encode(out, n, info->itemsize, info->nx, info->ny, info->mode, Q.q, Q.dq, crc, a, bound, &wa, NULL,
                        0, PMC_SIMD_AUTO);
        FUZZ_CHECK(rc == PMC_OK, "re-encoding decoded data fails");
        memcpy(again, out, out_bytes); /* the portable encoder reads a misaligned copy */
        const size_t ws = pmc_encode_scratch_size(n, info->nx, info->ny);
        uint8_t *escratch = (uint8_t *)fuzz_alloc(ws);
        rc = pmc_encode(again, n, info->itemsize, info->nx, info->ny, info->mode, Q.q, Q.dq, crc, b, bound, &wb,
                        escratch, ws, PMC_SIMD_PORTABLE);
        free(escratch);
        FUZZ_CHECK(rc == PMC_OK, "portable re-encoding fails");
        FUZZ_CHECK(wa == wb && memcmp(a, b, wa) == 0, "AVX2 and portable encoders write different streams");
        memset(again, 0xA5, out_bytes);
        rc = pmc_decode(a, wa, again, out_bytes, Q.q, Q.dq, NULL, 0, PMC_SIMD_AUTO);
        FUZZ_CHECK(rc == PMC_OK, "a re-encoded chunk does not decode");
        FUZZ_CHECK(memcmp(again, out, out_bytes) == 0, "decode(encode(decoded)) differs from decoded");
        free(a);
        free(b);
    }
    free(block);
}

/* Decode src as the binding does; returns nothing, aborts on a failed check. */
static void decode_one(const uint8_t *src, size_t len, const pmc_info *info, quantizers Q)
{
    const size_t out_bytes = (size_t)info->n * (size_t)info->itemsize;
    uint8_t *out = (uint8_t *)fuzz_alloc(out_bytes);
    memset(out, 0xA5, out_bytes);
    int rc = pmc_decode(src, len, out, out_bytes, Q.q, Q.dq, NULL, 0, PMC_SIMD_AUTO);
    FUZZ_CHECK(fuzz_is_decode_status(rc), "pmc_decode refuses hostile input with a non-DecodeError status");

    /* the decoding context (one for the whole run: its memory and quantizer
     * cache carry over from input to input) answers the same, byte for byte */
    static pmc_dctx *dctx;
    if (!dctx)
        dctx = pmc_dctx_create();
    FUZZ_CHECK(dctx != NULL, "pmc_dctx_create");
    uint8_t *viactx = (uint8_t *)fuzz_alloc(out_bytes);
    memset(viactx, 0x96, out_bytes);
    const int rc_ctx = pmc_dctx_decode(dctx, src, len, viactx, out_bytes, PMC_SIMD_AUTO);
    FUZZ_CHECK(rc_ctx == rc, "pmc_dctx_decode answers otherwise than pmc_decode");
    FUZZ_CHECK(rc != PMC_OK || memcmp(viactx, out, out_bytes) == 0, "pmc_dctx_decode decodes otherwise");
    free(viactx);

    if (rc == PMC_OK)
        check_accepted(src, len, info, Q, out, out_bytes);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pmc_info info;
    int rc = pmc_stream_info(data, size, &info);
    FUZZ_CHECK(fuzz_is_decode_status(rc), "pmc_stream_info status");
    if (rc != PMC_OK || info.n > MAX_OUT_BYTES / (uint64_t)info.itemsize)
        return 0;
    quantizers Q = {NULL, NULL};
    if (info.mode == PMC_MODE_QUANT && info.version == 1 && !(Q.q = get_tables(info.params)))
        return 0;
    if (info.mode == PMC_MODE_QUANT && info.version == 2 && !(Q.dq = get_dtables(info.params, info.saturation)))
        return 0;

    /* the stream as given: an exact copy, so reads before or past it are caught */
    uint8_t *src = fuzz_copy(data, size);
    decode_one(src, size, &info, Q);

    /* with a correct trailer, when the stream has one */
    if ((info.flags & PMC_FLAG_CRC) && size >= info.header_size + 4) {
        const uint32_t crc = pmc_crc32c(src, size - 4, PMC_SIMD_PORTABLE);
        FUZZ_CHECK(crc == pmc_crc32c(src, size - 4, PMC_SIMD_AUTO), "SSE4.2 and portable CRC-32C differ");
        if (crc != pmc_rd32(src + size - 4)) {
            pmc_wr32(src + size - 4, crc);
            decode_one(src, size, &info, Q);
        }
    }
    free(src);
    return 0;
}
