/* huff0_ref.c - a benchmark-only reference: zstd's Huffman coder (Huff0)
 * coding one byte per symbol in blocks of 128 KiB, as zstd codes literals.
 * Built by bench/huff0_ref.py and linked against libzstd.a (its HUF_*
 * functions are not in zstd's public header: declared below from their
 * documented signatures in zstd 1.5.4, lib/common/huf.h).  Not part of the
 * library: nothing in pymecompress includes or links this.
 *
 * Stream of this helper (bench-private): blocks of up to HREF_BLOCK symbols,
 * each a kind byte (0 Huff0 4-stream, 1 stored, 2 one repeated byte), a u32
 * little-endian payload length and the payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- zstd 1.5.4 (lib/common/huf.h), declared here, not included */
typedef size_t HUF_CElt;
typedef uint32_t HUF_DTable;
size_t HUF_compressBound(size_t size);
unsigned HUF_isError(size_t code);
size_t HUF_compress4X_repeat(void *dst, size_t dstSize, const void *src, size_t srcSize, unsigned maxSymbolValue,
                             unsigned tableLog, void *workSpace, size_t wkspSize, HUF_CElt *hufTable, int *repeat,
                             int flags);
size_t HUF_decompress4X_hufOnly_wksp(HUF_DTable *dctx, void *dst, size_t dstSize, const void *cSrc,
                                     size_t cSrcSize, void *workSpace, size_t wkspSize, int flags);
#define HREF_FLAG_BMI2 1 /* HUF_flags_bmi2 */
/* ---- */

#define HREF_BLOCK (128u * 1024u) /* HUF_BLOCKSIZE_MAX */
#define HREF_TABLELOG_MAX 12u     /* HUF_TABLELOG_MAX */
#define HREF_WORK 32768u          /* above HUF_WORKSPACE_SIZE and HUF_DECOMPRESS_WORKSPACE_SIZE */
#define HREF_HDR 5u

enum { KIND_HUF = 0, KIND_STORED = 1, KIND_RLE = 2 };

/* Caller-owned memory: the functions keep no state of their own. */
typedef struct {
    uint64_t work[HREF_WORK / 8];
    HUF_DTable dtable[1 + (1u << HREF_TABLELOG_MAX)];
} href_ws;

size_t href_ws_size(void) { return sizeof(href_ws); }

static int cpu_bmi2(void)
{
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    return __builtin_cpu_supports("bmi2") ? HREF_FLAG_BMI2 : 0;
#else
    return 0;
#endif
}

size_t href_bound(size_t n)
{
    const size_t blocks = (n + HREF_BLOCK - 1) / HREF_BLOCK; /* a stored block fits HUF_compressBound too */
    return blocks * (HREF_HDR + HUF_compressBound(HREF_BLOCK));
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Code src[0..n) into dst; returns the bytes written, 0 on error. */
size_t href_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, void *ws)
{
    href_ws *w = (href_ws *)ws;
    const int flags = cpu_bmi2();
    size_t o = 0;
    for (size_t i = 0; i < n; i += HREF_BLOCK) {
        const size_t m = n - i < HREF_BLOCK ? n - i : HREF_BLOCK;
        if (cap - o < HREF_HDR)
            return 0;
        size_t r = HUF_compress4X_repeat(dst + o + HREF_HDR, cap - o - HREF_HDR, src + i, m, 255, 0, w->work,
                                         sizeof w->work, NULL, NULL, flags);
        if (HUF_isError(r))
            return 0;
        uint8_t kind = KIND_HUF;
        if (r == 0) { /* not compressible: stored */
            if (cap - o - HREF_HDR < m)
                return 0;
            memcpy(dst + o + HREF_HDR, src + i, m);
            kind = KIND_STORED;
            r = m;
        } else if (r == 1) { /* the single byte it wrote is the repeated symbol */
            kind = KIND_RLE;
        }
        dst[o] = kind;
        put32(dst + o + 1, (uint32_t)r);
        o += HREF_HDR + r;
    }
    return o;
}

/* Decode exactly n symbols of src[0..len) into dst; 0 on success, -1 on a
 * malformed stream. */
int href_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t n, void *ws)
{
    href_ws *w = (href_ws *)ws;
    const int flags = cpu_bmi2();
    size_t o = 0;
    w->dtable[0] = (HREF_TABLELOG_MAX - 1u) * 0x01000001u; /* the maximum table log, as huf.h's macros set it */
    for (size_t i = 0; i < n; i += HREF_BLOCK) {
        const size_t m = n - i < HREF_BLOCK ? n - i : HREF_BLOCK;
        if (len - o < HREF_HDR)
            return -1;
        const uint8_t kind = src[o];
        const size_t r = get32(src + o + 1);
        o += HREF_HDR;
        if (len - o < r)
            return -1;
        if (kind == KIND_HUF) {
            size_t got = HUF_decompress4X_hufOnly_wksp(w->dtable, dst + i, m, src + o, r, w->work, sizeof w->work,
                                                       flags);
            if (HUF_isError(got) || got != m)
                return -1;
        } else if (kind == KIND_STORED && r == m) {
            memcpy(dst + i, src + o, m);
        } else if (kind == KIND_RLE && r == 1) {
            memset(dst + i, src[o], m);
        } else {
            return -1;
        }
        o += r;
    }
    return o == len ? 0 : -1;
}
