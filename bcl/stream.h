/* stream.h - the self-describing pymecompress chunk ("PMCS" stream, see
 * docs/FORMAT.md, "Chunk container"). */
#ifndef PMC_STREAM_H
#define PMC_STREAM_H

#include "pmc_common.h"

#define PMC_MODE_LOSSLESS 0
#define PMC_MODE_QUANT 1
#define PMC_FLAG_CRC 1u
#define PMC_VERSION 1
#define PMC_SEG_DEFAULT 262144u
#define PMC_SEG_MAX 1048576u

typedef struct {
    uint64_t n;         /* element count */
    uint32_t nx, ny;    /* plane width and height */
    uint32_t tw, th;    /* tile width and height */
    uint32_t seg;       /* values per entropy segment */
    int mode;           /* PMC_MODE_* */
    int itemsize;       /* 1 (uint8) or 2 (uint16) */
    unsigned flags;     /* PMC_FLAG_* */
    double params[4];   /* offset, gain, read_noise, step (mode 1) */
    size_t header_size;
} pmc_info;

/* Upper bound on the encoded size of a chunk. */
size_t pmc_encode_bound(size_t n, size_t nx, size_t ny, int mode);

/* Encode n elements of src (itemsize 1 or 2; planes of ny x nx).  Mode 1
 * (quantized, itemsize 2 only) needs params {offset, gain, read_noise, step}
 * and the matching encode table enc_lut from pmq_tables. */
int pmc_encode(const void *src, size_t n, int itemsize, size_t nx, size_t ny, int mode, const double *params,
               const uint16_t *enc_lut, int checksum, uint8_t *dst, size_t cap, size_t *written, int simd);

/* Parse and validate the header (cheap; no allocation). */
int pmc_stream_info(const uint8_t *src, size_t len, pmc_info *info);

/* Decode into out (out_bytes must equal n * itemsize).  Mode 1 needs the
 * decode table dec_lut and ncodes built from the header's parameters. */
int pmc_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes, const uint16_t *dec_lut,
               uint32_t ncodes, int simd);

/* Only the entropy stage: the n prediction residuals (zigzagged, memory
 * order) the chunk's segments hold, after every check pmc_decode makes on
 * them.  For analysis (their entropy); pmc_decode is the way to decode. */
int pmc_residuals(const uint8_t *src, size_t len, uint16_t *z, size_t n);

#endif
