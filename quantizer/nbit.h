/* nbit.h - lossless n-bit packing of integers (e.g. 12-bit camera data in
 * 1.5 bytes per pixel).  Bit layout: value i occupies bits [i*nbits,
 * (i+1)*nbits) of a least-significant-bit-first stream, value bits LSB first;
 * the last byte is padded with zero bits.  See docs/FORMAT.md. */
#ifndef PMC_NBIT_H
#define PMC_NBIT_H

#include "../bcl/pmc_common.h"

/* Bytes needed for n values of nbits bits. */
size_t pmn_packed_size(size_t n, unsigned nbits);

/* Pack n values (itemsize 1 or 2 bytes, native uint8/uint16) of at most
 * nbits bits (1..8*itemsize) into dst (cap >= pmn_packed_size).  Returns
 * PMC_E_RANGE (nothing meaningful written) when a value needs more bits. */
int pmn_pack(const void *src, size_t n, int itemsize, unsigned nbits, uint8_t *dst, size_t cap);

/* Unpack exactly n values from src[0..len); len must equal
 * pmn_packed_size(n, nbits) and the padding bits must be zero. */
int pmn_unpack(const uint8_t *src, size_t len, unsigned nbits, void *dst, size_t n, int itemsize);

#endif
