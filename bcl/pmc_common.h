/* pmc_common.h - shared definitions of the pymecompress C core.
 *
 * Everything here is re-entrant: no function keeps mutable static state, every
 * input buffer is const, and every size is a size_t.  Functions that can fail
 * return an int status: PMC_OK (0) or one of the negative PMC_E* codes below;
 * pmc_strerror() turns a code into a message.
 */
#ifndef PMC_COMMON_H
#define PMC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define PMC_OK 0
#define PMC_E_TRUNCATED (-1)   /* input ends before the data it announces */
#define PMC_E_CORRUPT (-2)     /* a field holds an impossible value */
#define PMC_E_TABLE (-3)       /* invalid Huffman code-length table */
#define PMC_E_OUTPUT (-4)      /* output buffer too small / size mismatch */
#define PMC_E_NOMEM (-5)       /* allocation failed */
#define PMC_E_PARAM (-6)       /* invalid parameter passed by the caller */
#define PMC_E_MAGIC (-7)       /* not a pymecompress stream */
#define PMC_E_VERSION (-8)     /* stream format version not supported */
#define PMC_E_CHECKSUM (-9)    /* CRC-32C mismatch */
#define PMC_E_TRAILING (-10)   /* bytes left over after the stream */
#define PMC_E_RANGE (-11)      /* a value does not fit the requested width */

/* SIMD selection passed to every kernel that has a vector path. */
#define PMC_SIMD_AUTO 0     /* use AVX2 when the CPU has it */
#define PMC_SIMD_PORTABLE 1 /* force the portable C path */

const char *pmc_strerror(int code);

/* 1 when the AVX2 path would be used for `simd`, else 0. */
int pmc_use_avx2(int simd);

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PMC_X86 1
#define PMC_TARGET_AVX2 __attribute__((target("avx2")))
#define PMC_TARGET_SSE42 __attribute__((target("sse4.2")))
#else
#define PMC_X86 0
#endif

/* little-endian loads/stores that are safe at any alignment */
static inline uint16_t pmc_rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t pmc_rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t pmc_rd64(const uint8_t *p) {
    return (uint64_t)pmc_rd32(p) | ((uint64_t)pmc_rd32(p + 4) << 32);
}
static inline void pmc_wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pmc_wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void pmc_wr64(uint8_t *p, uint64_t v) { pmc_wr32(p, (uint32_t)v); pmc_wr32(p + 4, (uint32_t)(v >> 32)); }

/* zigzag mapping of a 16-bit two's complement difference to an unsigned symbol */
static inline uint16_t pmc_zigzag(uint16_t r) { return (uint16_t)((uint16_t)(r << 1) ^ (uint16_t)(-(r >> 15))); }
static inline uint16_t pmc_unzigzag(uint16_t z) { return (uint16_t)((z >> 1) ^ (uint16_t)(-(z & 1))); }

#endif
