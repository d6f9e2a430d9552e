/* fuzz_segment.c - libFuzzer target of pmc_segment_decode, the entropy-coded
 * segment decoder (docs/FORMAT.md, "Entropy-coded segment").
 *
 * Input: a u16 (little-endian) value count n, then the segment: its byte
 * length is the rest of the input.  The segment is copied into a block of
 * exactly its size and decoded into a block of exactly n values, so any
 * read outside the segment or write outside the output is caught.
 *
 * Checks besides the sanitizers: every refusal is a DecodeError status; an
 * accepted segment decodes to the same values whatever the output buffer
 * held before; the deltas variant the chunk decoder uses agrees (status, unzigzag of the values); the encoder accepts those values and its segment decodes to
 * them again.
 */
#include <stdint.h>
#include <string.h>

#include "huffman.h" /* internal: the deltas variant the chunk decoder uses */
#include "fuzz_common.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t n = pmc_rd16(data), len = size - 2;
    uint8_t *seg = fuzz_copy(data + 2, len);
    /* n = 0: no output buffer at all, as nothing may be written */
    uint16_t *z = n ? (uint16_t *)fuzz_alloc(n * sizeof(uint16_t)) : NULL;
    uint16_t *z2 = n ? (uint16_t *)fuzz_alloc(n * sizeof(uint16_t)) : NULL;
    if (n) {
        memset(z, 0x00, n * sizeof(uint16_t));
        memset(z2, 0xFF, n * sizeof(uint16_t));
    }

    int rc = pmc_segment_decode(seg, len, z, n, NULL);
    FUZZ_CHECK(fuzz_is_decode_status(rc),
               "pmc_segment_decode refuses hostile input with a non-DecodeError status");
    /* the chunk decoder's variant: same status, unzigzag of the same values */
    const int rd = decode_deltas(seg, len, z2, n);
    FUZZ_CHECK(rd == rc, "the deltas variant and pmc_segment_decode disagree on the status");
    if (rc == PMC_OK)
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(z2[i] == (uint16_t)((z[i] >> 1) ^ (uint16_t)(-(z[i] & 1))),
                       "the deltas variant gives other values than unzigzag(pmc_segment_decode)");
    if (rc == PMC_OK) {
        if (n)
            memset(z2, 0xFF, n * sizeof(uint16_t));
        rc = pmc_segment_decode(seg, len, z2, n, NULL);
        FUZZ_CHECK(rc == PMC_OK, "second decode of an accepted segment fails");
        FUZZ_CHECK(n == 0 || memcmp(z, z2, n * sizeof(uint16_t)) == 0,
                   "decoded values depend on what the output buffer held");

        const size_t bound = pmc_segment_bound(n);
        uint8_t *enc = (uint8_t *)fuzz_alloc(bound);
        size_t w = 0;
        rc = pmc_segment_encode(z, n, enc, bound, &w, NULL);
        FUZZ_CHECK(rc == PMC_OK && w >= 1 && w <= bound, "re-encoding decoded values fails");
        if (n)
            memset(z2, 0xA5, n * sizeof(uint16_t));
        rc = pmc_segment_decode(enc, w, z2, n, NULL);
        FUZZ_CHECK(rc == PMC_OK, "a re-encoded segment does not decode");
        FUZZ_CHECK(n == 0 || memcmp(z, z2, n * sizeof(uint16_t)) == 0, "decode(encode(z)) differs from z");
        free(enc);
    }
    free(seg);
    free(z);
    free(z2);
    return 0;
}
