/* predict.h - block-adaptive spatial prediction on the 2-D planes of a chunk.
 * Predictors, edge rules and tile order are specified in docs/FORMAT.md,
 * "Prediction". */
#ifndef PMC_PREDICT_H
#define PMC_PREDICT_H

#include "pmc_internal.h"
#include "quant.h"

enum { PMP_NONE = 0, PMP_LEFT = 1, PMP_UP = 2, PMP_AVG2 = 3, PMP_AVG4 = 4, PMP_MED = 5, PMP_COUNT = 6 };

typedef struct {
    size_t nplanes, ny, nx; /* plane geometry: n = nplanes * ny * nx */
    size_t th, tw;          /* tile height and width (>= 1) */
} pmp_geometry;

/* Number of tiles of the whole chunk. */
size_t pmp_tile_count(const pmp_geometry *g);

/* Encoder, one band of tile rows of a plane: band holds nrows rows of nx
 * codes; when first is 0 the row above the band is band[-nx .. -1] (the
 * band does not start the plane).  For each of the ceil(nx/tw) tiles of the
 * band, choose a predictor (choice[t]) and the base used by PMP_NONE
 * (base[t], written for every tile); write the zigzagged residuals
 * z[0 .. nrows*nx).  band and z must not overlap. */
void pmp_encode_band(const uint16_t *band, size_t nrows, int first, size_t nx, size_t tw, uint8_t *choice,
                     uint16_t *base, uint16_t *z, int simd);

/* Decoder: rebuild the codes from the deltas d = unzigzag(z) (see
 * pmc_huf_decode) and the per-tile choice/base, a few rows at a time in
 * the workspace rows (PMP_DECODE_ROWS * nx values), and hand each row, in
 * element order, to the output stage (quant.h, pmq_stage_emit), which
 * writes out: the codes themselves (checked <= 255 for uint8), or their
 * values.  d may alias out when the stage's item size is 2.  Returns PMC_E_CORRUPT on an unknown
 * predictor, a code the quantizer does not define, or a value above 255. */
#define PMP_DECODE_ROWS 18 /* up to 17 rows of codes (16 rows and the row above), and one for the uint8 output stage */
int pmp_decode(const uint16_t *d, const pmp_geometry *g, const uint8_t *choice, const uint16_t *base,
               pmq_stage *stage, void *out, uint16_t *rows, int simd);

#endif
