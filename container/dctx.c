/* dctx.c - the decoding context: pmc_decode with working memory kept from
 * one chunk to the next and the quantizer tables of the streams' own
 * parameters, built once per parameter set (include/pymecompress.h). */
#include <stdlib.h>
#include <string.h>

#include "quant.h"

/* One prepared quantizer: version 1 (pmc_quant) or version 2 (pmc_dquant)
 * tables, with when it was last used. */
typedef struct {
    int version;      /* 0: empty slot */
    void *tables;     /* pmc_quant or pmc_dquant, malloc'd */
    uint64_t used;    /* ctx->clock at its last use */
} slot;

struct pmc_dctx {
    void *scratch;
    size_t scratch_size;
    uint64_t clock;
    slot slots[PMC_DCTX_TABLES];
};

pmc_dctx *pmc_dctx_create(void) { return (pmc_dctx *)calloc(1, sizeof(pmc_dctx)); }

void pmc_dctx_free(pmc_dctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < PMC_DCTX_TABLES; i++)
        free(ctx->slots[i].tables);
    free(ctx->scratch);
    free(ctx);
}

static int slot_matches(const slot *s, const pmc_info *info)
{
    if (s->version != info->version)
        return 0;
    return info->version == 2 ? pmq_dmatches((const pmc_dquant *)s->tables, info->params, info->saturation)
                              : pmq_matches((const pmc_quant *)s->tables, info->params);
}

/* Tables of the header's quantizer of version 1 or 2 (whose parameters
 * pmc_stream_info checked), built into the least recently used slot when no
 * slot holds them.  PMC_E_NOMEM when memory cannot be had. */
static int tables_for(pmc_dctx *ctx, const pmc_info *info, void **tables)
{
    slot *oldest = &ctx->slots[0];
    ctx->clock++;
    for (size_t i = 0; i < PMC_DCTX_TABLES; i++) {
        slot *s = &ctx->slots[i];
        if (s->version && slot_matches(s, info)) {
            s->used = ctx->clock;
            *tables = s->tables;
            return PMC_OK;
        }
        if (!s->version || (oldest->version && s->used < oldest->used))
            oldest = s;
    }
    const double *p = info->params;
    const size_t size = info->version == 2 ? pmc_dquant_size(p[0], p[1], p[2], p[3], info->saturation)
                                           : pmc_quant_size();
    if (size == 0)
        return PMC_E_QPARAMS;
    free(oldest->tables);
    oldest->version = 0;
    oldest->tables = malloc(size);
    if (!oldest->tables)
        return PMC_E_NOMEM;
    int rc = info->version == 2
                 ? pmc_dquant_init((pmc_dquant *)oldest->tables, size, p[0], p[1], p[2], p[3], info->saturation)
                 : pmc_quant_init((pmc_quant *)oldest->tables, p[0], p[1], p[2], p[3]);
    if (rc != PMC_OK) {
        free(oldest->tables);
        oldest->tables = NULL;
        return rc == PMC_E_PARAM ? PMC_E_QPARAMS : rc;
    }
    oldest->version = info->version;
    oldest->used = ctx->clock;
    *tables = oldest->tables;
    return PMC_OK;
}

int pmc_dctx_decode(pmc_dctx *ctx, const uint8_t *src, size_t len, void *out, size_t out_bytes, int simd)
{
    pmc_info info;
    if (!ctx || (len && !src) || (out_bytes && !out))
        return PMC_E_PARAM;
    int rc = pmc_stream_info(src, len, &info);
    if (rc != PMC_OK)
        return rc;
    if (info.n > SIZE_MAX / 2 || out_bytes != (size_t)info.n * (size_t)info.itemsize)
        return PMC_E_OUTPUT;
    void *tables = NULL;
    if (info.mode == PMC_MODE_QUANT) {
        rc = tables_for(ctx, &info, &tables);
        if (rc != PMC_OK)
            return rc;
    }
    const size_t need = pmc_decode_scratch_size(&info, out);
    if (need == SIZE_MAX)
        return PMC_E_NOMEM;
    if (need > ctx->scratch_size) {
        free(ctx->scratch);
        ctx->scratch_size = 0;
        ctx->scratch = malloc(need);
        if (!ctx->scratch)
            return PMC_E_NOMEM;
        ctx->scratch_size = need;
    }
    const pmc_quant *q = info.mode == PMC_MODE_QUANT && info.version == 1 ? (const pmc_quant *)tables : NULL;
    const pmc_dquant *dq = info.mode == PMC_MODE_QUANT && info.version == 2 ? (const pmc_dquant *)tables : NULL;
    return pmc_decode(src, len, out, out_bytes, q, dq, ctx->scratch, ctx->scratch_size, simd);
}
