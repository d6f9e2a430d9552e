"""cffi builder of the C core (out-of-line API mode): ``pymecompress._core``.

``setup.py`` names this file in ``cffi_modules``; it is not imported at run time.
"""

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent

CDEF = """
const char *pmc_strerror(int code);
int pmc_use_avx2(int simd);

int pmq_tables(double offset, double gain, double read_noise, double step,
               uint16_t *enc, uint16_t *dec, uint32_t *ncodes);
void pmq_map(const uint16_t *in, size_t n, const uint16_t *lut, uint16_t *out);
int pmq_dequant(const uint16_t *codes, size_t n, size_t index0, const uint16_t *dec, uint32_t ncodes,
                uint16_t *out);

size_t pmn_packed_size(size_t n, unsigned nbits);
int pmn_pack(const void *src, size_t n, int itemsize, unsigned nbits, uint8_t *dst, size_t cap);
int pmn_unpack(const uint8_t *src, size_t len, unsigned nbits, void *dst, size_t n, int itemsize);

typedef struct {
    uint64_t n;
    uint32_t nx, ny;
    uint32_t tw, th;
    uint32_t seg;
    int mode;
    int itemsize;
    unsigned flags;
    double params[4];
    size_t header_size;
} pmc_info;

size_t pmc_encode_bound(size_t n, size_t nx, size_t ny, int mode);
int pmc_encode(const void *src, size_t n, int itemsize, size_t nx, size_t ny, int mode, const double *params,
               const uint16_t *enc_lut, int checksum, uint8_t *dst, size_t cap, size_t *written, int simd);
int pmc_stream_info(const uint8_t *src, size_t len, pmc_info *info);
int pmc_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes, const uint16_t *dec_lut,
               uint32_t ncodes, int simd);
int pmc_residuals(const uint8_t *src, size_t len, uint16_t *z, size_t n);

size_t pmc_huf_bound(size_t n);
int pmc_huf_encode(const uint16_t *z, size_t n, uint8_t *dst, size_t cap, size_t *written);
int pmc_huf_decode(const uint8_t *src, size_t len, uint16_t *z, size_t n);
uint32_t pmc_crc32c(const uint8_t *data, size_t len, int simd);

size_t pmc_legacy_huf_bound(size_t n);
int pmc_legacy_huf_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t *written);
int pmc_legacy_huf_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t nsym, size_t *end_bits);
"""

SOURCES = [
    "bcl/pmc_common.c",
    "bcl/crc32c.c",
    "bcl/huffman.c",
    "bcl/stream.c",
    "quantizer/quant.c",
    "quantizer/predict.c",
    "quantizer/nbit.c",
    "bcl/legacy.c",
]

# Exact IEEE arithmetic (no FMA contraction) keeps the quantizer tables identical
# on every machine; no -march flag: AVX2 kernels are chosen at run time.
CFLAGS = ["-O3", "-std=c99", "-ffp-contract=off", "-fno-strict-aliasing", "-Wall", "-Wextra"]
LINK_ARGS: list[str] = []

# PYMECOMPRESS_SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer build for tests/sanitize.sh (the module
# then only loads with the sanitizer runtimes preloaded: LD_PRELOAD=libasan.so:libubsan.so).  -O1 comes last.
if os.environ.get("PYMECOMPRESS_SANITIZE") == "1":
    SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g", "-O1"]
    CFLAGS += SANITIZE
    LINK_ARGS += SANITIZE

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "pymecompress._core",
    '#include "bcl/stream.h"\n#include "bcl/huffman.h"\n#include "bcl/crc32c.h"\n'
    '#include "quantizer/quant.h"\n#include "quantizer/nbit.h"\n#include "bcl/legacy.h"\n',
    sources=SOURCES,
    include_dirs=["."],
    extra_compile_args=CFLAGS,
    extra_link_args=LINK_ARGS,
    libraries=["m"],
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=str(HERE / "build"), verbose=True)
