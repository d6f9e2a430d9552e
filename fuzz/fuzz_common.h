/* fuzz_common.h - small helpers shared by the libFuzzer targets in fuzz/.
 *
 * Each target checks, beyond "no crash, no sanitizer report, no leak", the
 * contract the Python binding relies on: a decoder refuses hostile input only
 * with one of the status codes that pymecompress turns into DecodeError, and
 * whatever it accepts survives an encode/decode round trip.
 */
#ifndef PMC_FUZZ_COMMON_H
#define PMC_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmc_internal.h" /* the public header, and byte-order helpers */

/* Stop the run (libFuzzer reports the input as a crash) when cond is false. */
#define FUZZ_CHECK(cond, what)                                                                                   \
    do {                                                                                                         \
        if (!(cond)) {                                                                                           \
            fprintf(stderr, "fuzz check failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, (what), #cond);        \
            abort();                                                                                             \
        }                                                                                                        \
    } while (0)

/* What a decoder may answer to malformed input: PMC_OK or a stream error
 * (pmc_is_stream_error: DecodeError in Python); anything else would be a
 * caller error or a resource limit. */
static inline int fuzz_is_decode_status(int rc) { return rc == PMC_OK || pmc_is_stream_error(rc); }

/* A heap block of exactly `size` bytes (at least 1 allocated), so that
 * AddressSanitizer flags any access past the end. */
static inline void *fuzz_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    FUZZ_CHECK(p != NULL, "out of memory");
    return p;
}

/* An exact-size heap copy of data[0..size) (see fuzz_alloc). */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
    uint8_t *p = (uint8_t *)fuzz_alloc(size);
    if (size)
        memcpy(p, data, size);
    return p;
}

#endif
