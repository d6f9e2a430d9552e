/* scratch.c - working memory from the caller's scratch or from malloc (see
 * pmc_internal.h). */
#include "pmc_internal.h"

#include <stdlib.h>

#define ALIGN 16u

size_t pmc_scratch_add(size_t need, size_t bytes)
{
    if (need == SIZE_MAX || bytes > SIZE_MAX - (ALIGN - 1))
        return SIZE_MAX;
    const size_t rounded = (bytes + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    return rounded > SIZE_MAX - need ? SIZE_MAX : need + rounded;
}

size_t pmc_scratch_total(size_t need) { return need > SIZE_MAX - ALIGN ? SIZE_MAX : need + ALIGN; }

int pmc_arena_open(pmc_arena *a, void *scratch, size_t scratch_size, size_t need)
{
    a->owned = NULL;
    const size_t total = pmc_scratch_total(need);
    if (total == SIZE_MAX)
        return scratch ? PMC_E_SCRATCH : PMC_E_NOMEM;
    uint8_t *p;
    if (scratch) {
        if (scratch_size < total)
            return PMC_E_SCRATCH;
        p = (uint8_t *)scratch;
    } else {
        a->owned = malloc(total);
        if (!a->owned)
            return PMC_E_NOMEM;
        p = (uint8_t *)a->owned;
    }
    const size_t skip = (ALIGN - (size_t)((uintptr_t)p % ALIGN)) % ALIGN;
    a->next = p + skip;
    a->end = p + total;
    return PMC_OK;
}

void *pmc_arena_take(pmc_arena *a, size_t bytes)
{
    const size_t rounded = (bytes + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    if (bytes > SIZE_MAX - (ALIGN - 1) || rounded > (size_t)(a->end - a->next))
        return NULL;
    uint8_t *block = a->next;
    a->next += rounded;
    return block;
}

void pmc_arena_close(pmc_arena *a)
{
    free(a->owned);
    a->owned = NULL;
}
