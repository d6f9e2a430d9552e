/* fuzz_nbit.c - libFuzzer target of pmc_nbit_unpack, the n-bit payload decoder
 * (docs/FORMAT.md, "n-bit packed stream"; the 16-byte PMCN header is parsed
 * in Python, which only calls pmc_nbit_unpack with a valid nbits and itemsize).
 *
 * Input: byte 0 gives nbits = 1 + (byte & 15) and the item size: 2 when
 * nbits > 8, else 1 + bit 4.  Byte 1 gives the value count n relative to
 * the largest count the payload can hold, max = 8 * len / nbits: n = max -
 * (bits 0..2), plus 1 + (bits 3..4) when bit 7 is set (a payload too short
 * for n).  The payload is the rest of the input, copied into a block of
 * exactly its size; the output is a block of exactly n items.
 *
 * Checks besides the sanitizers: every refusal is a DecodeError status; an
 * accepted payload decodes to the same values whatever the output buffer
 * held, also into (and packed again from) a misaligned buffer, and packing
 * them again gives the payload back byte for byte (the payload is
 * canonical: exact length, zero padding).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const unsigned nbits = 1u + (data[0] & 15u);
    const int itemsize = nbits > 8 ? 2 : 1 + ((data[0] >> 4) & 1);
    const size_t len = size - 2;
    size_t n = 8 * len / nbits;
    const size_t back = data[1] & 7u;
    n = back <= n ? n - back : 0;
    if (data[1] & 0x80u)
        n += 1u + ((data[1] >> 3) & 3u);

    uint8_t *payload = fuzz_copy(data + 2, len);
    const size_t out_bytes = n * (size_t)itemsize;
    /* the second output sits at an odd address: 16-bit items must not be
     * stored through a misaligned pointer (numpy hands over such views) */
    uint8_t *out = (uint8_t *)fuzz_alloc(out_bytes), *block = (uint8_t *)fuzz_alloc(out_bytes + 1);
    uint8_t *out2 = block + 1;
    memset(out, 0x00, out_bytes);
    memset(out2, 0xFF, out_bytes);

    int rc = pmc_nbit_unpack(payload, len, nbits, out, n, itemsize);
    FUZZ_CHECK(fuzz_is_decode_status(rc),
               "pmc_nbit_unpack refuses hostile input with a non-DecodeError status");
    if (rc == PMC_OK) {
        rc = pmc_nbit_unpack(payload, len, nbits, out2, n, itemsize);
        FUZZ_CHECK(rc == PMC_OK && memcmp(out, out2, out_bytes) == 0,
                   "decoded values depend on what the output buffer held");
        FUZZ_CHECK(pmc_nbit_size(n, nbits) == len, "accepted a payload of the wrong length");
        uint8_t *packed = (uint8_t *)fuzz_alloc(len);
        rc = pmc_nbit_pack(out2, n, itemsize, nbits, packed, len);
        FUZZ_CHECK(rc == PMC_OK, "packing decoded values fails");
        FUZZ_CHECK(len == 0 || memcmp(packed, payload, len) == 0, "pack(unpack(payload)) differs from payload");
        free(packed);
    }
    free(payload);
    free(out);
    free(block);
    return 0;
}
