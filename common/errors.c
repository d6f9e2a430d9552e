/* errors.c - status messages and CPU feature selection. */
#include "pmc_internal.h"

const char *pmc_strerror(int code)
{
    switch (code) {
    case PMC_OK: return "success";
    case PMC_E_TRUNCATED: return "stream is truncated: it ends before the data it announces";
    case PMC_E_CORRUPT: return "stream is corrupt: a field holds an impossible value";
    case PMC_E_TABLE: return "stream is corrupt: invalid Huffman code-length table";
    case PMC_E_OUTPUT: return "output buffer does not match the stream's size";
    case PMC_E_NOMEM: return "out of memory";
    case PMC_E_PARAM: return "invalid parameter";
    case PMC_E_MAGIC: return "not a pymecompress stream (bad magic bytes)";
    case PMC_E_VERSION: return "unsupported stream format version";
    case PMC_E_CHECKSUM: return "checksum mismatch: the stream was corrupted";
    case PMC_E_TRAILING: return "stream is corrupt: unexpected bytes after its end";
    case PMC_E_RANGE: return "a value does not fit the requested bit width";
    case PMC_E_SCRATCH: return "scratch memory is smaller than the library asked for";
    case PMC_E_TABLES: return "the quantizer tables were built for other parameters than the stream's";
    default: return "unknown error";
    }
}

int pmc_use_avx2(int simd)
{
    if (simd == PMC_SIMD_PORTABLE)
        return 0;
#if PMC_X86
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

int pmc_use_avx2_bmi2(int simd)
{
#if PMC_X86
    return pmc_use_avx2(simd) && __builtin_cpu_supports("bmi2");
#else
    return pmc_use_avx2(simd);
#endif
}
