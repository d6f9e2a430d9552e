/* chunk.c - the PMCS chunk container: header, predictor map, entropy
 * segments, optional CRC-32C trailer (see docs/FORMAT.md, "Chunk
 * container").  The top layer of the library: it drives the quantizer and
 * predictor (quantizer/) and the entropy coder (bcl/).  Declared in
 * pymecompress.h. */
#include <string.h>

#include "huffman.h"
#include "predict.h"
#include "quant.h"

#define HDR_BASE 32u
#define HDR_QUANT 64u
#define HDR_DITHER 72u /* version 2: the quantizer's header, then u32 saturation and u32 reserved */
#define MIN_SEGMENT_BYTES 7u /* u32 length + the 3-byte constant segment */

static const uint8_t MAGIC[4] = {'P', 'M', 'C', 'S'};

static size_t header_size(int version, int mode)
{
    return mode != PMC_MODE_QUANT ? HDR_BASE : version == 2 ? HDR_DITHER : HDR_QUANT;
}

/* Tile shape the encoder uses: 32 x 32, or wider tiles of about 1024 pixels
 * for planes less than 32 rows high (1-D data: 1 x 1024). */
static void pick_tiles(size_t ny, size_t *tw, size_t *th)
{
    *th = ny < 32 ? (ny ? ny : 1) : 32;
    size_t w = 1024 / *th;
    *tw = w < 32 ? 32 : w;
}

size_t pmc_encode_bound(size_t n, size_t nx, size_t ny, int mode)
{
    if (nx == 0 || ny == 0)
        nx = ny = 1;
    size_t tw, th;
    pick_tiles(ny, &tw, &th);
    size_t planes = n / (nx * ny);
    size_t ntiles = planes * ((ny + th - 1) / th) * ((nx + tw - 1) / tw);
    size_t nseg = (n + PMC_SEG_DEFAULT - 1) / PMC_SEG_DEFAULT;
    size_t last = n - (nseg ? (nseg - 1) * (size_t)PMC_SEG_DEFAULT : 0);
    size_t segs = nseg ? (nseg - 1) * (4 + pmc_segment_bound(PMC_SEG_DEFAULT)) + 4 + pmc_segment_bound(last) : 0;
    return header_size(2, mode) + (ntiles + 1) / 2 + 2 * ntiles + segs + 4;
}

/* a * b, or SIZE_MAX when it does not fit a size_t */
static size_t mul_sat(uint64_t a, uint64_t b)
{
    if (a && b > (uint64_t)SIZE_MAX / a)
        return SIZE_MAX;
    return (size_t)(a * b);
}

/* The working memory of pmc_encode, in the order it takes it: the entropy
 * coder's workspace, choice and base per tile, the band of codes (plus the
 * row above it), the residuals of a segment (plus a band). */
static size_t encode_need(size_t n, size_t nx, size_t ny)
{
    if (nx == 0 || ny == 0)
        nx = ny = 1;
    size_t tw, th;
    pick_tiles(ny, &tw, &th);
    const pmp_geometry g = {n / mul_sat(nx, ny), ny, nx, th, tw};
    const size_t ntiles = pmp_tile_count(&g) + 1, band = mul_sat(th + 1, nx);
    const size_t seg = n < PMC_SEG_DEFAULT ? n : PMC_SEG_DEFAULT;
    size_t need = pmc_scratch_add(0, PMC_HUF_ENC_WS);
    need = pmc_scratch_add(need, ntiles);
    need = pmc_scratch_add(need, mul_sat(ntiles, sizeof(uint16_t)));
    need = pmc_scratch_add(need, mul_sat(band, sizeof(uint16_t)));
    return pmc_scratch_add(need, band == SIZE_MAX ? SIZE_MAX : mul_sat(seg + band, sizeof(uint16_t)));
}

size_t pmc_encode_scratch_size(size_t n, size_t nx, size_t ny) { return pmc_scratch_total(encode_need(n, nx, ny)); }

int pmc_encode(const void *src, size_t n, int itemsize, size_t nx, size_t ny, int mode, const pmc_quant *q,
               const pmc_dquant *dq, int checksum, uint8_t *dst, size_t cap, size_t *written, void *scratch,
               size_t scratch_size, int simd)
{
    if ((itemsize != 1 && itemsize != 2) || (mode != PMC_MODE_LOSSLESS && mode != PMC_MODE_QUANT))
        return PMC_E_PARAM;
    pmq_coder coder;
    if (pmq_coder_init(&coder, mode, q, dq, itemsize, pmc_use_avx2(simd)) != PMC_OK)
        return PMC_E_PARAM;
    if (nx == 0 || ny == 0 || nx > UINT32_MAX || ny > UINT32_MAX || n % (nx * ny) != 0)
        return PMC_E_PARAM;
    if (!dst || !written || (n && !src))
        return PMC_E_PARAM;
    if (cap < pmc_encode_bound(n, nx, ny, mode))
        return PMC_E_OUTPUT;
    size_t tw, th;
    pick_tiles(ny, &tw, &th);
    pmp_geometry g = {n / (nx * ny), ny, nx, th, tw};
    size_t ntiles = pmp_tile_count(&g);
    const int dither = coder.dq != NULL;
    const double *params = dither ? coder.dq->params : coder.q ? coder.q->params : NULL;

    /* header */
    const int version = dither ? 2 : 1;
    size_t hs = header_size(version, mode);
    memset(dst, 0, hs);
    memcpy(dst, MAGIC, 4);
    dst[4] = (uint8_t)version;
    dst[5] = (uint8_t)mode;
    dst[6] = (uint8_t)itemsize;
    dst[7] = checksum ? PMC_FLAG_CRC : 0;
    pmc_wr64(dst + 8, (uint64_t)n);
    pmc_wr32(dst + 16, (uint32_t)nx);
    pmc_wr32(dst + 20, (uint32_t)ny);
    pmc_wr16(dst + 24, (uint16_t)tw);
    pmc_wr16(dst + 26, (uint16_t)th);
    pmc_wr32(dst + 28, PMC_SEG_DEFAULT);
    if (mode == PMC_MODE_QUANT)
        for (int i = 0; i < 4; i++) {
            uint64_t bits;
            memcpy(&bits, &params[i], sizeof bits);
            pmc_wr64(dst + 32 + 8 * (size_t)i, bits);
        }
    if (dither)
        pmc_wr32(dst + 64, coder.dq->saturation);

    /* The chunk is processed band by band (a tile row of a plane): codes of
     * the band (plus the row above it) go to cbuf, residuals to zbuf, which
     * collects a segment's worth before it is entropy-coded.  The predictor
     * map is only complete at the end, so the segments are written after
     * room for the largest possible map and moved down once it is known. */
    /* src is the caller's buffer and may sit at any address (e.g. a numpy view
     * at an odd offset): uint16 data that is not 2-byte aligned is never read
     * through a uint16_t pointer (undefined behaviour) but copied band by band
     * into cbuf with memcpy. */
    const int aligned = itemsize == 1 || ((uintptr_t)src & 1u) == 0;
    const int direct = mode == PMC_MODE_LOSSLESS && itemsize == 2 && aligned; /* codes are the input */
    /* bands are quantized in element order: the dither phases chain from element 0 on */
    const size_t band_max = th * nx, seg = PMC_SEG_DEFAULT;
    pmc_arena a;
    int rc = pmc_arena_open(&a, scratch, scratch_size, encode_need(n, nx, ny));
    if (rc != PMC_OK)
        return rc;
    void *const hws = pmc_arena_take(&a, PMC_HUF_ENC_WS);
    uint8_t *const choice = (uint8_t *)pmc_arena_take(&a, ntiles + 1);
    uint16_t *const base = (uint16_t *)pmc_arena_take(&a, (ntiles + 1) * sizeof(uint16_t));
    uint16_t *const cbuf = (uint16_t *)pmc_arena_take(&a, (band_max + nx) * sizeof(uint16_t));
    /* fill < seg + band */
    uint16_t *const zbuf = (uint16_t *)pmc_arena_take(&a, ((n < seg ? n : seg) + band_max) * sizeof(uint16_t));
    if (!zbuf) { /* the blocks before it fit too */
        rc = PMC_E_SCRATCH;
        goto done;
    }
    const size_t map_max = (ntiles + 1) / 2 + 2 * ntiles;
    size_t o = hs + map_max, fill = 0, t = 0;
    const size_t ntx = (nx + tw - 1) / tw;
    for (size_t pl = 0; pl < g.nplanes; pl++) {
        for (size_t y0 = 0; y0 < ny; y0 += th, t += ntx) {
            size_t nrows = ny - y0 < th ? ny - y0 : th, first_el = (pl * ny + y0) * nx;
            const uint16_t *band;
            if (direct) {
                band = (const uint16_t *)src + first_el;
            } else {
                if (y0) /* keep the last row of the previous band as the row above */
                    memcpy(cbuf, cbuf + band_max, nx * sizeof(uint16_t));
                uint16_t *dstc = cbuf + nx;
                if (itemsize == 1) {
                    pmq_codes(&coder, NULL, (const uint8_t *)src + first_el, nrows * nx, first_el, dstc);
                } else if (!aligned) { /* a copy, then its codes in place */
                    memcpy(dstc, (const uint8_t *)src + first_el * sizeof(uint16_t), nrows * nx * sizeof(uint16_t));
                    pmq_codes(&coder, dstc, NULL, nrows * nx, first_el, dstc);
                } else { /* uint16 in mode 1 (mode 0 reads its input directly) */
                    pmq_codes(&coder, (const uint16_t *)src + first_el, NULL, nrows * nx, first_el, dstc);
                }
                band = dstc;
            }
            pmp_encode_band(band, nrows, y0 == 0, nx, tw, choice + t, base + t, zbuf + fill, simd);
            fill += nrows * nx;
            while (fill >= seg || (fill && pl + 1 == g.nplanes && y0 + nrows == ny)) {
                size_t m = fill < seg ? fill : seg, w = 0;
                rc = pmc_huf_encode(zbuf, m, dst + o + 4, cap - o - 4, &w, hws, simd);
                if (rc != PMC_OK)
                    goto done;
                pmc_wr32(dst + o, (uint32_t)w);
                o += 4 + w;
                memmove(zbuf, zbuf + m, (fill - m) * sizeof(uint16_t));
                fill -= m;
            }
        }
    }

    /* predictor map: nibbles, then the bases of NONE tiles; move the segments down to follow it */
    size_t m0 = hs;
    for (size_t k = 0; k < ntiles; k += 2) {
        uint8_t lo = choice[k], hi = k + 1 < ntiles ? choice[k + 1] : 0;
        dst[m0++] = (uint8_t)(lo | (hi << 4));
    }
    for (size_t k = 0; k < ntiles; k++)
        if (choice[k] == PMP_NONE) {
            pmc_wr16(dst + m0, base[k]);
            m0 += 2;
        }
    memmove(dst + m0, dst + hs + map_max, o - (hs + map_max));
    o -= hs + map_max - m0;
    if (checksum) {
        pmc_wr32(dst + o, pmc_crc32c(dst, o, simd));
        o += 4;
    }
    *written = o;
done:
    pmc_arena_close(&a);
    return rc;
}

int pmc_stream_info(const uint8_t *src, size_t len, pmc_info *info)
{
    if (len < 4 || memcmp(src, MAGIC, 4) != 0)
        return len < 4 && memcmp(src, MAGIC, len) == 0 ? PMC_E_TRUNCATED : PMC_E_MAGIC;
    if (len < 8)
        return PMC_E_TRUNCATED;
    if (src[4] != 1 && src[4] != 2)
        return PMC_E_VERSION;
    info->version = src[4];
    info->mode = src[5];
    info->itemsize = src[6];
    info->flags = src[7];
    if (info->mode != PMC_MODE_LOSSLESS && info->mode != PMC_MODE_QUANT)
        return PMC_E_CORRUPT;
    if (info->version == 2 && info->mode != PMC_MODE_QUANT) /* version 2 is the dithered quantizer's */
        return PMC_E_CORRUPT;
    if (info->itemsize != 1 && info->itemsize != 2)
        return PMC_E_CORRUPT;
    if (info->flags & ~PMC_FLAG_CRC)
        return PMC_E_CORRUPT;
    info->header_size = header_size(info->version, info->mode);
    if (len < info->header_size)
        return PMC_E_TRUNCATED;
    info->n = pmc_rd64(src + 8);
    info->nx = pmc_rd32(src + 16);
    info->ny = pmc_rd32(src + 20);
    info->tw = pmc_rd16(src + 24);
    info->th = pmc_rd16(src + 26);
    info->seg = pmc_rd32(src + 28);
    if (!info->nx || !info->ny || !info->tw || !info->th || !info->seg || info->seg > PMC_SEG_MAX)
        return PMC_E_CORRUPT;
    uint64_t plane = (uint64_t)info->nx * info->ny;
    if (info->n % plane != 0)
        return PMC_E_CORRUPT;
    memset(info->params, 0, sizeof info->params);
    if (info->mode == PMC_MODE_QUANT)
        for (int i = 0; i < 4; i++) {
            uint64_t bits = pmc_rd64(src + 32 + 8 * (size_t)i);
            memcpy(&info->params[i], &bits, sizeof bits);
            double lo, hi;
            pmc_quant_limits(i, &lo, &hi);
            if (!(info->params[i] >= lo && info->params[i] <= hi)) /* NaN included */
                return PMC_E_QPARAMS;
        }
    info->saturation = 0;
    if (info->version == 2) {
        info->saturation = pmc_rd32(src + 64);
        const uint32_t top = info->itemsize == 1 ? 255u : 65535u;
        if (info->saturation < 1 || info->saturation > top || pmc_rd32(src + 68) != 0)
            return PMC_E_CORRUPT;
    }
    /* Every segment takes at least MIN_SEGMENT_BYTES and every two tiles one
     * byte: refuse counts the input cannot hold before anyone allocates. */
    uint64_t avail = len - info->header_size;
    uint64_t nseg = info->n / info->seg + (info->n % info->seg != 0);
    if (nseg > avail / MIN_SEGMENT_BYTES)
        return PMC_E_TRUNCATED;
    uint64_t nplanes = info->n / plane;
    uint64_t ntiles = nplanes * ((info->ny + info->th - 1) / info->th) * ((info->nx + info->tw - 1) / info->tw);
    if (ntiles / 2 > avail)
        return PMC_E_TRUNCATED;
    return PMC_OK;
}

/* Tile count of a chunk whose header pmc_stream_info accepted (it fits a
 * size_t: pmc_stream_info refuses more tiles than twice the input's bytes). */
static size_t tile_count(const pmc_info *info, pmp_geometry *g)
{
    const size_t n = (size_t)info->n;
    const pmp_geometry geo = {n / ((size_t)info->nx * info->ny), info->ny, info->nx, info->th, info->tw};
    *g = geo;
    return pmp_tile_count(g);
}

/* The working memory of pmc_decode, in the order it takes it: the entropy
 * decoder's tables, choice and base per tile, the rows of the unprediction
 * and, when the codes cannot be decoded in place (uint8 output, or uint16
 * output at an odd address), the chunk's codes. */
static size_t decode_need(const pmc_info *info, int in_place)
{
    pmp_geometry g;
    const size_t ntiles = tile_count(info, &g) + 1;
    const uint64_t n = info->n;
    size_t need = pmc_scratch_add(0, PMC_HUF_DEC_WS);
    need = pmc_scratch_add(need, ntiles);
    need = pmc_scratch_add(need, mul_sat(ntiles, sizeof(uint16_t)));
    need = pmc_scratch_add(need, n ? mul_sat((uint64_t)PMP_DECODE_ROWS * sizeof(uint16_t), info->nx) : 0);
    return pmc_scratch_add(need, in_place ? 0 : mul_sat(n, sizeof(uint16_t)));
}

static int decodes_in_place(const pmc_info *info, const void *out)
{
    return info->itemsize == 2 && ((uintptr_t)out & 1u) == 0;
}

size_t pmc_decode_scratch_size(const pmc_info *info, const void *out)
{
    return pmc_scratch_total(decode_need(info, decodes_in_place(info, out)));
}

/* What pmc_decode and pmc_residuals both read after the header (parse_map):
 * the trailer's check and the predictor map, into choice/base. */
typedef struct {
    pmc_info info;
    pmp_geometry g;  /* planes, rows, columns, tile shape */
    size_t end;      /* end of the segments (before the trailer) */
    uint8_t *choice; /* one predictor number per tile */
    uint16_t *base;  /* one base per tile (0 unless NONE) */
} parsed;

static int parse_map(const uint8_t *src, size_t len, parsed *P, size_t *pos, int simd)
{
    const pmc_info *info = &P->info;
    size_t end = len;
    if (info->flags & PMC_FLAG_CRC) {
        if (len < info->header_size + 4)
            return PMC_E_TRUNCATED;
        end = len - 4;
        if (pmc_crc32c(src, end, simd) != pmc_rd32(src + end))
            return PMC_E_CHECKSUM;
    }
    P->end = end;
    const size_t ntiles = tile_count(info, &P->g);
    size_t o = info->header_size;
    const size_t mapbytes = (ntiles + 1) / 2;
    if (end - o < mapbytes)
        return PMC_E_TRUNCATED;
    size_t nnone = 0;
    for (size_t t = 0; t < ntiles; t++) {
        const uint8_t v = src[o + t / 2];
        P->choice[t] = (t & 1) ? (uint8_t)(v >> 4) : (uint8_t)(v & 15);
        if (P->choice[t] >= PMP_COUNT)
            return PMC_E_CORRUPT;
        nnone += P->choice[t] == PMP_NONE;
    }
    if ((ntiles & 1) && (src[o + ntiles / 2] >> 4) != 0)
        return PMC_E_CORRUPT;
    o += mapbytes;
    if ((end - o) / 2 < nnone)
        return PMC_E_TRUNCATED;
    for (size_t t = 0; t < ntiles; t++) {
        P->base[t] = 0;
        if (P->choice[t] == PMP_NONE) {
            P->base[t] = pmc_rd16(src + o);
            o += 2;
        }
    }
    *pos = o;
    return PMC_OK;
}

/* Every entropy segment from src + o to P->end into z: the residuals as
 * stored (zigzagged) or, with deltas, the differences they stand for. */
static int decode_segments(const uint8_t *src, const parsed *P, size_t o, uint16_t *z, int deltas, void *hws)
{
    const size_t n = (size_t)P->info.n, end = P->end;
    for (size_t s = 0; s < n; s += P->info.seg) {
        const size_t m = n - s < P->info.seg ? n - s : P->info.seg;
        if (end - o < 4)
            return PMC_E_TRUNCATED;
        const size_t w = pmc_rd32(src + o);
        o += 4;
        if (end - o < w)
            return PMC_E_TRUNCATED;
        const int rc = pmc_huf_decode(src + o, w, z + s, m, deltas, hws);
        if (rc != PMC_OK)
            return rc;
        o += w;
    }
    return o != end ? PMC_E_TRAILING : PMC_OK;
}

int pmc_residuals(const uint8_t *src, size_t len, uint16_t *z, size_t n)
{
    if (n && !z)
        return PMC_E_PARAM;
    parsed P;
    pmc_arena a;
    size_t o = 0;
    if (len && !src)
        return PMC_E_PARAM;
    int rc = pmc_stream_info(src, len, &P.info);
    if (rc != PMC_OK)
        return rc;
    if (P.info.n > SIZE_MAX / 2)
        return PMC_E_OUTPUT;
    rc = pmc_arena_open(&a, NULL, 0, decode_need(&P.info, 1));
    if (rc != PMC_OK)
        return rc;
    void *const hws = pmc_arena_take(&a, PMC_HUF_DEC_WS);
    const size_t ntiles = tile_count(&P.info, &P.g) + 1;
    P.choice = (uint8_t *)pmc_arena_take(&a, ntiles);
    P.base = (uint16_t *)pmc_arena_take(&a, ntiles * sizeof(uint16_t));
    rc = parse_map(src, len, &P, &o, PMC_SIMD_AUTO);
    if (rc == PMC_OK && P.info.n != n)
        rc = PMC_E_OUTPUT;
    if (rc == PMC_OK)
        rc = decode_segments(src, &P, o, z, 0, hws);
    pmc_arena_close(&a);
    return rc;
}

int pmc_decode(const uint8_t *src, size_t len, void *out, size_t out_bytes, const pmc_quant *q,
               const pmc_dquant *dq, void *scratch, size_t scratch_size, int simd)
{
    parsed P;
    pmc_arena a;
    size_t o = 0;
    if (out_bytes && !out)
        return PMC_E_PARAM;
    /* the caller's errors first (sizes, tables, scratch), then the stream's */
    if (len && !src)
        return PMC_E_PARAM;
    int rc = pmc_stream_info(src, len, &P.info);
    if (rc != PMC_OK)
        return rc;
    const pmc_info *info = &P.info;
    if (info->n > SIZE_MAX / 2 || out_bytes != (size_t)info->n * (size_t)info->itemsize)
        return PMC_E_OUTPUT;
    const int dither = info->mode == PMC_MODE_QUANT && info->version == 2;
    if (info->mode == PMC_MODE_QUANT && (dither ? !dq : !q))
        return PMC_E_PARAM;
    if (info->mode == PMC_MODE_QUANT &&
        (dither ? !pmq_dmatches(dq, info->params, info->saturation) : !pmq_matches(q, info->params)))
        return PMC_E_TABLES;
    /* The residuals go straight into out when it holds uint16 at an even
     * address (writing through a misaligned uint16_t pointer is undefined
     * behaviour); otherwise they are decoded into scratch and the output
     * stage writes out. */
    const int in_place = decodes_in_place(info, out);
    rc = pmc_arena_open(&a, scratch, scratch_size, decode_need(info, in_place));
    if (rc != PMC_OK)
        return rc;
    const size_t n = (size_t)info->n;
    void *const hws = pmc_arena_take(&a, PMC_HUF_DEC_WS);
    const size_t ntiles = tile_count(info, &P.g) + 1;
    P.choice = (uint8_t *)pmc_arena_take(&a, ntiles);
    P.base = (uint16_t *)pmc_arena_take(&a, ntiles * sizeof(uint16_t));
    const size_t nrows = n ? (size_t)PMP_DECODE_ROWS * info->nx : 0;
    uint16_t *const rows = (uint16_t *)pmc_arena_take(&a, nrows * sizeof(uint16_t));
    uint16_t *const z = in_place ? (uint16_t *)out : (uint16_t *)pmc_arena_take(&a, n * sizeof(uint16_t));
    rc = parse_map(src, len, &P, &o, simd);
    if (rc == PMC_OK)
        rc = decode_segments(src, &P, o, z, 1, hws);
    if (rc == PMC_OK && n) {
        const int misaligned = info->itemsize == 2 && !in_place;
        pmq_stage stage;
        pmq_stage_init(&stage, info->mode == PMC_MODE_QUANT && !dither ? q : NULL, dither ? dq : NULL,
                       info->itemsize);
        rc = pmp_decode(z, &P.g, P.choice, P.base, &stage, misaligned ? (void *)z : out, rows, simd);
        if (rc == PMC_OK && misaligned)
            memcpy(out, z, n * sizeof(uint16_t));
    }
    pmc_arena_close(&a);
    return rc;
}
