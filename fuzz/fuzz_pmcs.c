/* fuzz_pmcs.c - libFuzzer target of pmc_decode, the PMCS chunk decoder
 * (docs/FORMAT.md, "Chunk container"), lossless (mode 0) and quantized
 * (mode 1) streams.
 *
 * Input: one PMCS stream, the bytes a codec's decode() receives.
 *
 * Inputs whose header pmc_stream_info refuses, or whose output would exceed
 * MAX_OUT_BYTES, stop after the header check.  The others are decoded as the
 * Python binding decodes them: into an output buffer of exactly n * itemsize
 * bytes, in mode 1 with the tables pmq_tables builds from the header's
 * parameters (a stream whose parameters pmq_tables refuses is skipped: the
 * binding raises DecodeError for it before calling pmc_decode).  When the
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

#include "../bcl/crc32c.h"
#include "../bcl/stream.h"
#include "../quantizer/quant.h"
#include "fuzz_common.h"

#define MAX_OUT_BYTES ((uint64_t)16 << 20) /* decoded size limit: 16 MiB */
#define ROUNDTRIP_MAX ((uint64_t)1 << 18)  /* re-encode chunks of at most this many elements */
#define NCACHE 4

/* Quantizer tables of the last few parameter sets (building them takes
 * 65536 square roots; mutated streams mostly keep their parameters). */
typedef struct {
    int used;
    uint64_t key[4]; /* bit patterns of offset, gain, read_noise, step */
    uint32_t ncodes;
    uint16_t enc[PMQ_TABLE_SIZE];
    uint16_t dec[PMQ_PHASES * PMQ_TABLE_SIZE];
} tables;

static tables cache[NCACHE];
static unsigned next_slot;

/* Tables for params, or NULL when pmq_tables refuses them. */
static const tables *get_tables(const double params[4])
{
    uint64_t key[4];
    memcpy(key, params, sizeof key);
    for (unsigned i = 0; i < NCACHE; i++)
        if (cache[i].used && memcmp(cache[i].key, key, sizeof key) == 0)
            return &cache[i];
    tables *t = &cache[next_slot];
    t->used = 0;
    int rc = pmq_tables(params[0], params[1], params[2], params[3], t->enc, t->dec, &t->ncodes);
    FUZZ_CHECK(rc == PMC_OK || rc == PMC_E_PARAM, "pmq_tables status");
    if (rc != PMC_OK)
        return NULL;
    FUZZ_CHECK(t->ncodes >= 1 && t->ncodes <= PMQ_TABLE_SIZE, "pmq_tables code count");
    memcpy(t->key, key, sizeof key);
    t->used = 1;
    next_slot = (next_slot + 1) % NCACHE;
    return t;
}

/* The checks on a stream pmc_decode accepted; out holds what it decoded. */
static void check_accepted(const uint8_t *src, size_t len, const pmc_info *info, const tables *t,
                           const uint8_t *out, size_t out_bytes)
{
    const uint16_t *dec = t ? t->dec : NULL;
    const uint32_t ncodes = t ? t->ncodes : 0;

    /* same result with the portable path, into a buffer holding other bytes
     * at an odd address (numpy hands over misaligned views too) */
    uint8_t *block = (uint8_t *)fuzz_alloc(out_bytes + 1), *again = block + 1;
    memset(again, 0x5A, out_bytes);
    int rc = pmc_decode(src, len, again, out_bytes, dec, ncodes, PMC_SIMD_PORTABLE);
    FUZZ_CHECK(rc == PMC_OK, "portable decode refuses what the default path accepts");
    FUZZ_CHECK(memcmp(again, out, out_bytes) == 0, "portable decode differs (or output depends on old bytes)");

    /* An empty chunk is not re-encoded: its header may name any plane size,
     * for which the encoder would size its row buffers (the codecs always
     * encode empty chunks with nx = ny = 1). */
    if (info->n > 0 && info->n <= ROUNDTRIP_MAX) {
        const size_t n = (size_t)info->n;
        const size_t bound = pmc_encode_bound(n, info->nx, info->ny, info->mode);
        uint8_t *a = (uint8_t *)fuzz_alloc(bound), *b = (uint8_t *)fuzz_alloc(bound);
        size_t wa = 0, wb = 0;
        const int crc = (info->flags & PMC_FLAG_CRC) != 0;
        const double *params = info->mode == PMC_MODE_QUANT ? info->params : NULL;
        const uint16_t *enc = t ? t->enc : NULL;
        rc = pmc_encode(out, n, info->itemsize, info->nx, info->ny, info->mode, params, enc, crc, a, bound, &wa,
                        PMC_SIMD_AUTO);
        FUZZ_CHECK(rc == PMC_OK, "re-encoding decoded data fails");
        memcpy(again, out, out_bytes); /* the portable encoder reads a misaligned copy */
        rc = pmc_encode(again, n, info->itemsize, info->nx, info->ny, info->mode, params, enc, crc, b, bound, &wb,
                        PMC_SIMD_PORTABLE);
        FUZZ_CHECK(rc == PMC_OK, "portable re-encoding fails");
        FUZZ_CHECK(wa == wb && memcmp(a, b, wa) == 0, "AVX2 and portable encoders write different streams");
        memset(again, 0xA5, out_bytes);
        rc = pmc_decode(a, wa, again, out_bytes, dec, ncodes, PMC_SIMD_AUTO);
        FUZZ_CHECK(rc == PMC_OK, "a re-encoded chunk does not decode");
        FUZZ_CHECK(memcmp(again, out, out_bytes) == 0, "decode(encode(decoded)) differs from decoded");
        free(a);
        free(b);
    }
    free(block);
}

/* Decode src as the binding does; returns nothing, aborts on a failed check. */
static void decode_one(const uint8_t *src, size_t len, const pmc_info *info, const tables *t)
{
    const size_t out_bytes = (size_t)info->n * (size_t)info->itemsize;
    uint8_t *out = (uint8_t *)fuzz_alloc(out_bytes);
    memset(out, 0xA5, out_bytes);
    int rc = pmc_decode(src, len, out, out_bytes, t ? t->dec : NULL, t ? t->ncodes : 0, PMC_SIMD_AUTO);
    FUZZ_CHECK(fuzz_is_decode_status(rc), "pmc_decode refuses hostile input with a non-DecodeError status");
    if (rc == PMC_OK)
        check_accepted(src, len, info, t, out, out_bytes);
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
    const tables *t = NULL;
    if (info.mode == PMC_MODE_QUANT && !(t = get_tables(info.params)))
        return 0;

    /* the stream as given: an exact copy, so reads before or past it are caught */
    uint8_t *src = fuzz_copy(data, size);
    decode_one(src, size, &info, t);

    /* with a correct trailer, when the stream has one */
    if ((info.flags & PMC_FLAG_CRC) && size >= info.header_size + 4) {
        const uint32_t crc = pmc_crc32c(src, size - 4, PMC_SIMD_PORTABLE);
        FUZZ_CHECK(crc == pmc_crc32c(src, size - 4, PMC_SIMD_AUTO), "SSE4.2 and portable CRC-32C differ");
        if (crc != pmc_rd32(src + size - 4)) {
            pmc_wr32(src + size - 4, crc);
            decode_one(src, size, &info, t);
        }
    }
    free(src);
    return 0;
}
