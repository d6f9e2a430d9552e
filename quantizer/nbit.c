/* nbit.c - n-bit packing of integers (declared in pymecompress.h; bit layout
 * in docs/FORMAT.md), e.g. 12-bit camera data in 1.5 bytes per pixel. */
#include "pmc_internal.h"

#include <string.h>

size_t pmc_nbit_size(size_t n, unsigned nbits)
{
    /* n * nbits / 8 rounded up, without overflowing for huge n */
    return (n / 8) * nbits + ((n % 8) * nbits + 7) / 8;
}

/* src and dst are the caller's buffers and may sit at any address (e.g. a
 * numpy view at an odd offset): 16-bit items are moved with memcpy, never
 * through a possibly misaligned uint16_t pointer (undefined behaviour). */
static inline uint32_t load_item(const void *src, int itemsize, size_t i)
{
    if (itemsize == 1)
        return ((const uint8_t *)src)[i];
    uint16_t v;
    memcpy(&v, (const uint8_t *)src + i * sizeof v, sizeof v);
    return v;
}

int pmc_nbit_pack(const void *src, size_t n, int itemsize, unsigned nbits, uint8_t *dst, size_t cap)
{
    if ((itemsize != 1 && itemsize != 2) || nbits < 1 || nbits > 8u * (unsigned)itemsize)
        return PMC_E_PARAM;
    size_t need = pmc_nbit_size(n, nbits);
    if (cap < need)
        return PMC_E_OUTPUT;
    uint32_t limit = 1u << nbits, worst = 0;
    uint64_t acc = 0;
    unsigned nacc = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = load_item(src, itemsize, i);
        worst |= v;
        acc |= (uint64_t)v << nacc;
        nacc += nbits;
        if (nacc >= 32) {
            pmc_wr32(dst + o, (uint32_t)acc);
            o += 4;
            acc >>= 32;
            nacc -= 32;
        }
    }
    while (nacc > 0) {
        dst[o++] = (uint8_t)acc;
        acc >>= 8;
        nacc = nacc > 8 ? nacc - 8 : 0;
    }
    return worst >= limit ? PMC_E_RANGE : PMC_OK;
}

int pmc_nbit_unpack(const uint8_t *src, size_t len, unsigned nbits, void *dst, size_t n, int itemsize)
{
    if ((itemsize != 1 && itemsize != 2) || nbits < 1 || nbits > 8u * (unsigned)itemsize)
        return PMC_E_PARAM;
    size_t need = pmc_nbit_size(n, nbits);
    if (len < need)
        return PMC_E_TRUNCATED;
    if (len > need)
        return PMC_E_TRAILING;
    uint64_t acc = 0;
    unsigned nacc = 0;
    size_t p = 0;
    const uint32_t mask = (1u << nbits) - 1u;
    for (size_t i = 0; i < n; i++) {
        if (nacc < nbits) {
            if (p + 4 <= len) {
                acc |= (uint64_t)pmc_rd32(src + p) << nacc;
                p += 4;
                nacc += 32;
            } else {
                while (nacc < nbits && p < len) {
                    acc |= (uint64_t)src[p++] << nacc;
                    nacc += 8;
                }
            }
        }
        uint32_t v = (uint32_t)acc & mask;
        acc >>= nbits;
        nacc -= nbits;
        if (itemsize == 1) {
            ((uint8_t *)dst)[i] = (uint8_t)v;
        } else {
            const uint16_t v16 = (uint16_t)v; /* memcpy: dst may be misaligned (see load_item) */
            memcpy((uint8_t *)dst + i * sizeof v16, &v16, sizeof v16);
        }
    }
    /* whatever is left in the accumulator and the stream must be zero padding */
    if (acc != 0)
        return PMC_E_CORRUPT;
    for (; p < len; p++)
        if (src[p] != 0)
            return PMC_E_CORRUPT;
    return PMC_OK;
}
