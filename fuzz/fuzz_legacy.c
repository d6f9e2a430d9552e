/* fuzz_legacy.c - libFuzzer target of pmc_legacy_huf_decode, the decoder of
 * the original pymecompress / BCL Huffman bit stream (bcl/legacy.h).
 *
 * Input: a u16 (little-endian) symbol count nsym, then the stream: its byte
 * length is the rest of the input.  The stream is copied into a block of
 * exactly its size and decoded into a block of exactly nsym bytes.
 *
 * Checks besides the sanitizers: every refusal is a DecodeError status
 * (truncated or corrupt); an accepted stream reports at most its own bits as
 * used, decodes to the same symbols from just the bytes those bits touch,
 * gives their first half when asked for half as many symbols, and the
 * encoder's stream of those symbols decodes to them again.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t nsym = pmc_rd16(data), len = size - 2;
    uint8_t *src = fuzz_copy(data + 2, len);
    uint8_t *dst = (uint8_t *)fuzz_alloc(nsym), *dst2 = (uint8_t *)fuzz_alloc(nsym);
    memset(dst, 0x00, nsym);
    memset(dst2, 0xFF, nsym);

    size_t end = 0;
    int rc = pmc_legacy_huf_decode(src, len, dst, nsym, &end);
    FUZZ_CHECK(fuzz_is_decode_status(rc),
               "pmc_legacy_huf_decode refuses hostile input with a non-DecodeError status");
    if (rc == PMC_OK && nsym > 0) {
        FUZZ_CHECK(end <= 8 * len, "more bits used than the stream has");

        /* only the bytes holding the used bits, into a buffer holding other bytes */
        const size_t used = (end + 7) / 8;
        uint8_t *head = fuzz_copy(src, used);
        size_t end2 = 0;
        rc = pmc_legacy_huf_decode(head, used, dst2, nsym, &end2);
        FUZZ_CHECK(rc == PMC_OK && end2 == end, "the bytes after the used bits change the result");
        FUZZ_CHECK(memcmp(dst, dst2, nsym) == 0, "decoded symbols depend on unused bytes or old output");
        free(head);

        /* a prefix of the symbols */
        const size_t half = nsym / 2;
        if (half) {
            uint8_t *part = (uint8_t *)fuzz_alloc(half);
            rc = pmc_legacy_huf_decode(src, len, part, half, &end2);
            FUZZ_CHECK(rc == PMC_OK && end2 <= end, "decoding fewer symbols fails");
            FUZZ_CHECK(memcmp(part, dst, half) == 0, "the first symbols differ when fewer are decoded");
            free(part);
        }

        /* round trip through the encoder */
        const size_t bound = pmc_legacy_huf_bound(nsym);
        uint8_t *enc = (uint8_t *)fuzz_alloc(bound);
        size_t w = 0;
        rc = pmc_legacy_huf_encode(dst, nsym, enc, bound, &w);
        FUZZ_CHECK(rc == PMC_OK && w <= bound, "re-encoding decoded symbols fails");
        memset(dst2, 0xA5, nsym);
        rc = pmc_legacy_huf_decode(enc, w, dst2, nsym, NULL);
        FUZZ_CHECK(rc == PMC_OK && memcmp(dst, dst2, nsym) == 0, "decode(encode(symbols)) differs");
        free(enc);
    }
    free(src);
    free(dst);
    free(dst2);
    return 0;
}
