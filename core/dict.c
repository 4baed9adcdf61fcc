/*
** dict.c: the string dictionary behind string columns.
** Strings are stored once, NUL-terminated, in one byte arena; a code is
** the index of a string.  An open-addressing table of codes (linear
** probing, at most half full) finds a string's code while interning.
*/
#include "csint.h"

#include <string.h>

/* FNV-1a over 8 bytes at a time would be faster; this is a 64-bit
** multiply-xorshift hash that is simple and mixes well. */
uint64_t cs__hash(const char *s, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h ^= w;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i);
        h ^= w;
        h *= 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

int cs__dict_new(cs_engine *eng, cs_dict **out)
{
    cs_dict *d = cs__alloc(eng, sizeof *d);
    *out = NULL;
    if (!d) return cs__oom(eng);
    memset(d, 0, sizeof *d);
    d->eng = eng;
    d->refs = 1;
    d->offs = cs__alloc(eng, sizeof *d->offs);
    if (!d->offs) {
        cs__free(eng, d, sizeof *d);
        return cs__oom(eng);
    }
    d->offs[0] = 0;
    *out = d;
    return CS_OK;
}

void cs__dict_retain(cs_dict *d) { d->refs++; }

void cs__dict_release(cs_dict *d)
{
    cs_engine *eng;
    if (!d || --d->refs > 0) return;
    eng = d->eng;
    cs__free(eng, d->offs, ((size_t)d->cap + 1) * sizeof *d->offs);
    cs__free(eng, d->bytes, d->capbytes);
    cs__free(eng, d->slots, (size_t)d->nslots * sizeof *d->slots);
    cs__free(eng, d, sizeof *d);
}

static int rehash(cs_dict *d, uint32_t nslots)
{
    uint32_t *slots, i, mask = nslots - 1;
    size_t bytes = (size_t)nslots * sizeof *slots;
    slots = cs__alloc(d->eng, bytes);
    if (!slots) return cs__oom(d->eng);
    memset(slots, 0, bytes);
    for (i = 0; i < d->n; i++) {
        size_t len;
        const char *s = cs__dict_str(d, i, &len);
        uint32_t h = (uint32_t)cs__hash(s, len) & mask;
        while (slots[h]) h = (h + 1) & mask;
        slots[h] = i + 1;
    }
    cs__free(d->eng, d->slots, (size_t)d->nslots * sizeof *d->slots);
    d->slots = slots;
    d->nslots = nslots;
    return CS_OK;
}

/* The slot holding S[0..LEN) or, when absent, the empty slot where it
** would go.  The table must have at least one empty slot. */
static uint32_t probe(const cs_dict *d, const char *s, size_t len)
{
    uint32_t mask = d->nslots - 1, h = (uint32_t)cs__hash(s, len) & mask;
    while (d->slots[h]) {
        size_t clen;
        const char *cs = cs__dict_str(d, d->slots[h] - 1, &clen);
        if (clen == len && memcmp(cs, s, len) == 0) break;
        h = (h + 1) & mask;
    }
    return h;
}

int cs__dict_find(const cs_dict *d, const char *s, size_t len, uint32_t *code)
{
    uint32_t h;
    if (!d->nslots) return 0;
    h = probe(d, s, len);
    if (!d->slots[h]) return 0;
    *code = d->slots[h] - 1;
    return 1;
}

int cs__dict_intern(cs_dict *d, const char *s, size_t len, uint32_t *code)
{
    uint32_t h;
    int rc;
    if ((uint64_t)d->n * 2 >= d->nslots) {
        if (d->nslots >= (1u << 31))
            return cs__error(d->eng, CS_EOVERFLOW,
                             "too many distinct strings in one column");
        rc = rehash(d, d->nslots ? d->nslots * 2 : 64);
        if (rc) return rc;
    }
    h = probe(d, s, len);
    if (d->slots[h]) {
        *code = d->slots[h] - 1;
        return CS_OK;
    }
    /* A new string: room for its offset and its bytes. */
    if (d->n == d->cap) {
        uint32_t ncap = d->cap ? d->cap * 2 : 16;
        size_t *offs = cs__realloc(d->eng, d->offs,
                                   ((size_t)d->cap + 1) * sizeof *offs,
                                   ((size_t)ncap + 1) * sizeof *offs);
        if (!offs) return cs__oom(d->eng);
        d->offs = offs;
        d->cap = ncap;
    }
    if (d->capbytes - d->nbytes < len + 1) {
        size_t ncap = d->capbytes ? d->capbytes : 256;
        char *bytes;
        while (ncap - d->nbytes < len + 1) {
            if (ncap > SIZE_MAX / 2)
                return cs__error(d->eng, CS_EOVERFLOW, "dictionary too large");
            ncap *= 2;
        }
        bytes = cs__realloc(d->eng, d->bytes, d->capbytes, ncap);
        if (!bytes) return cs__oom(d->eng);
        d->bytes = bytes;
        d->capbytes = ncap;
    }
    memcpy(d->bytes + d->nbytes, s, len);
    d->bytes[d->nbytes + len] = '\0';
    d->nbytes += len + 1;
    d->offs[d->n + 1] = d->nbytes;
    d->slots[h] = d->n + 1;
    *code = d->n++;
    return CS_OK;
}
