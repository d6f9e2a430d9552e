/* pmc_internal.h - what every layer of the C library shares but callers do
 * not see: the public header, the target attributes of the run-time selected
 * SIMD kernels, byte-order safe loads and stores, and the zigzag mapping.
 *
 * Included by every .c file of common/, bcl/, quantizer/ and container/;
 * never by code outside the library (it uses include/pymecompress.h).
 */
#ifndef PMC_INTERNAL_H
#define PMC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pymecompress.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define PMC_X86 1
#define PMC_TARGET_AVX2 __attribute__((target("avx2")))
#define PMC_TARGET_SSE42 __attribute__((target("sse4.2")))
#define PMC_TARGET_AVX2_BMI2 __attribute__((target("avx2,bmi2")))
#else
#define PMC_X86 0
#endif
/* no target attribute: the portable instance of a kernel written once for several targets */
#define PMC_TARGET_NONE

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

/* AVX2 and BMI2 kernels (the Huffman encoder's): 1 when simd allows them and the CPU has both (errors.c) */
int pmc_use_avx2_bmi2(int simd);

/* ---- working memory (scratch.c) ----
 * A function that needs working memory sums what it needs with
 * pmc_scratch_add (rounded up to 16 bytes each, saturating at SIZE_MAX),
 * opens an arena on the caller's scratch (or, when that is NULL, on an
 * allocation of its own) and takes its blocks from it in the same order. */
typedef struct {
    uint8_t *next; /* next free byte, 16-byte aligned */
    uint8_t *end;
    void *owned;   /* the allocation to free, or NULL */
} pmc_arena;

/* need + bytes rounded up to 16, SIZE_MAX on overflow (need SIZE_MAX stays). */
size_t pmc_scratch_add(size_t need, size_t bytes);

/* need plus the slack that aligning an arbitrary scratch pointer costs. */
size_t pmc_scratch_total(size_t need);

/* PMC_OK, PMC_E_SCRATCH (scratch_size < pmc_scratch_total(need)) or
 * PMC_E_NOMEM (scratch is NULL and malloc failed). */
int pmc_arena_open(pmc_arena *a, void *scratch, size_t scratch_size, size_t need);

/* The next block of `bytes` bytes, 16-byte aligned; NULL when the arena
 * (opened for the sum of the blocks its user takes) has no room left. */
void *pmc_arena_take(pmc_arena *a, size_t bytes);

void pmc_arena_close(pmc_arena *a);

#endif
