/* stage.c - the quantizer at the chunk level (quant.h): which quantizer a
 * chunk uses, its values to codes when encoding and its codes to values when
 * decoding, with the rules of uint8 data. */
#include "quant.h"

#include <string.h>

int pmq_coder_init(pmq_coder *c, int mode, const pmc_quant *q, const pmc_dquant *dq, int itemsize, int avx2)
{
    c->q = NULL;
    c->dq = NULL;
    c->state = PMQ_DITHER_INIT;
    c->avx2 = avx2;
    if (mode != PMC_MODE_QUANT)
        return PMC_OK;
    if ((!q) == (!dq)) /* exactly one quantizer */
        return PMC_E_PARAM;
    if (q ? !q->ncodes : !dq->saturation || (itemsize == 1 && dq->saturation > 255))
        return PMC_E_PARAM;
    c->q = q;
    c->dq = dq;
    return PMC_OK;
}

void pmq_codes(pmq_coder *c, const uint16_t *in, const uint8_t *in8, size_t n, size_t index0, uint16_t *out)
{
    if (c->dq) {
        pmq_dmap(c->dq, in, in8, n, index0, &c->state, out, c->avx2);
    } else if (in8) { /* uint8: widened, through the version 1 encode table in mode 1 */
        const uint16_t *lut = c->q ? c->q->enc : NULL;
        if (lut)
            for (size_t i = 0; i < n; i++)
                out[i] = lut[in8[i]];
        else
            for (size_t i = 0; i < n; i++)
                out[i] = in8[i];
    } else if (c->q) {
        pmq_map(in, n, c->q->enc, out);
    } else if (in != out) {
        memcpy(out, in, n * sizeof(uint16_t));
    }
}

void pmq_stage_init(pmq_stage *st, const pmc_quant *q, const pmc_dquant *dq, int itemsize)
{
    st->dec = q ? q->dec : NULL;
    /* uint8 data in version 1 holds only the codes of 0..255 */
    st->ncodes = !q ? 0 : itemsize == 1 ? q->enc[255] + 1u : q->ncodes;
    st->dq = dq;
    st->state = PMQ_DITHER_INIT;
    st->itemsize = itemsize;
}

int pmq_stage_emit(pmq_stage *st, const uint16_t *codes, size_t n, size_t index0, void *out, uint16_t *tmp, int avx2)
{
    if (st->dq || st->dec) {
        uint16_t *values = st->itemsize == 2 ? (uint16_t *)out : tmp;
        const int rc = st->dq ? pmq_ddequant(st->dq, codes, n, index0, &st->state, values, avx2)
                              : pmq_dequant(codes, n, index0, st->dec, st->ncodes, values, avx2);
        if (st->itemsize == 1) { /* uint8: version 1's top code covers 255 and is clamped to it; version 2 stays <= 255 */
            uint8_t *o = (uint8_t *)out;
            for (size_t x = 0; x < n; x++)
                o[x] = (uint8_t)(tmp[x] < 255u ? tmp[x] : 255u);
        }
        return rc;
    }
    if (st->itemsize == 2) {
        memcpy(out, codes, n * sizeof(uint16_t));
        return PMC_OK;
    }
    uint16_t worst = 0;
    uint8_t *o = (uint8_t *)out;
    for (size_t x = 0; x < n; x++) {
        worst |= codes[x];
        o[x] = (uint8_t)codes[x];
    }
    return worst > 255 ? PMC_E_CORRUPT : PMC_OK;
}
