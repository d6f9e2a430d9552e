/* errors.c - status messages, the version and CPU feature selection. */
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
    case PMC_E_QPARAMS: return "stream is corrupt: its quantizer parameters are outside their allowed ranges";
    default: return "unknown error";
    }
}

int pmc_is_stream_error(int code)
{
    switch (code) {
    case PMC_E_TRUNCATED:
    case PMC_E_CORRUPT:
    case PMC_E_TABLE:
    case PMC_E_MAGIC:
    case PMC_E_VERSION:
    case PMC_E_CHECKSUM:
    case PMC_E_TRAILING:
    case PMC_E_QPARAMS: return 1;
    default: return 0;
    }
}

unsigned pmc_version(void) { return PMC_VERSION_NUMBER; }

/* the version macros' digits as a string (two expansion steps turn the values, not the names, into text) */
#define PMC_TEXT(x) #x
#define PMC_VERSION_TEXT(a, b, c) PMC_TEXT(a) "." PMC_TEXT(b) "." PMC_TEXT(c)

const char *pmc_version_string(void)
{
    return PMC_VERSION_TEXT(PMC_VERSION_MAJOR, PMC_VERSION_MINOR, PMC_VERSION_PATCH);
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
