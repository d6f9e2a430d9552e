/* crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial
 * value 0xFFFFFFFF, final xor 0xFFFFFFFF; check value of "123456789" is
 * 0xE3069283).  SSE4.2 path chosen at run time, byte-identical portable path. */
#ifndef PMC_CRC32C_H
#define PMC_CRC32C_H

#include "pmc_common.h"

uint32_t pmc_crc32c(const uint8_t *data, size_t len, int simd);

#endif
