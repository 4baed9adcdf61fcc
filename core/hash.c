/*
** hash.c: SHA-256 digests (Nettle) of bytes and of a dataset's content.
** A dataset's fingerprint is the digest of a canonical encoding of its
** column names, types and values, row by row in each column, so that two
** datasets holding the same values in the same order have the same
** fingerprint however they were built (dictionary codes, views and
** chunking do not enter it).
*/
#include "csint.h"

#include <nettle/sha2.h>
#include <string.h>

static void to_hex(const uint8_t *digest, char out[CS_HASH_HEX])
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * SHA256_DIGEST_SIZE] = '\0';
}

void cs_sha256_hex(const void *data, size_t len, char out[CS_HASH_HEX])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof digest, digest);
    to_hex(digest, out);
}

/* Values are encoded into a buffer flushed into the digest when full. */
typedef struct hasher {
    struct sha256_ctx ctx;
    size_t n;
    uint8_t buf[1 << 14];
} hasher;

static void put(hasher *h, const void *p, size_t len)
{
    const uint8_t *b = p;
    if (h->n + len > sizeof h->buf) {
        sha256_update(&h->ctx, h->n, h->buf);
        h->n = 0;
        if (len > sizeof h->buf) {
            sha256_update(&h->ctx, len, b);
            return;
        }
    }
    memcpy(h->buf + h->n, b, len);
    h->n += len;
}

/* Integers little-endian, whatever the machine. */
static void put_u64(hasher *h, uint64_t v)
{
    uint8_t b[8];
    int i;
    for (i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(h, b, 8);
}

static void put_bytes(hasher *h, const char *s, size_t len)
{
    put_u64(h, len);
    put(h, s, len);
}

/* A double's bits, with every NaN one NaN and -0 as 0 (as equal values
** group together elsewhere in the engine). */
static uint64_t f64_bits(double x)
{
    uint64_t u;
    if (x != x) return UINT64_C(0x7ff8000000000000);
    if (x == 0) x = 0;
    memcpy(&u, &x, sizeof u);
    return u;
}

static int valid(const cs_column *c, size_t i)
{
    return !c->valid || (c->valid[i >> 6] >> (i & 63) & 1);
}

static void put_column(hasher *h, const cs_column *c, const uint32_t *sel,
                       size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        size_t i = sel ? sel[k] : k;
        uint8_t tag = valid(c, i) ? 1 : 0;
        put(h, &tag, 1);
        if (!tag) continue;
        switch (c->type) {
        case CS_TYPE_I64:
            put_u64(h, (uint64_t)((const int64_t *)c->data)[i]);
            break;
        case CS_TYPE_F64:
            put_u64(h, f64_bits(((const double *)c->data)[i]));
            break;
        case CS_TYPE_DATE:
            put_u64(h, (uint64_t)(int64_t)((const int32_t *)c->data)[i]);
            break;
        case CS_TYPE_BOOL:
            put(h, (const uint8_t *)c->data + i, 1);
            break;
        case CS_TYPE_STR: {
            size_t len;
            const char *s =
                cs__dict_str(c->dict, ((const uint32_t *)c->data)[i], &len);
            put_bytes(h, s, len);
            break;
        }
        }
    }
}

int cs_dataset_fingerprint(const cs_dataset *ds, char out[CS_HASH_HEX])
{
    hasher *h;
    uint8_t digest[SHA256_DIGEST_SIZE];
    size_t j;
    out[0] = '\0';
    h = cs__alloc(ds->eng, sizeof *h);
    if (!h) return cs__oom(ds->eng);
    sha256_init(&h->ctx);
    h->n = 0;
    put(h, "coopstat-fingerprint-1", 22);
    put_u64(h, ds->ncols);
    put_u64(h, ds->nrows);
    for (j = 0; j < ds->ncols; j++) {
        const char *name = cs_type_name(ds->cols[j]->type);
        put_bytes(h, ds->names[j], strlen(ds->names[j]));
        put_bytes(h, name, strlen(name));
    }
    for (j = 0; j < ds->ncols; j++) {
        const uint32_t *sel;
        const cs_column *c = cs__dataset_base(ds, j, &sel);
        put_column(h, c, sel, ds->nrows);
    }
    sha256_update(&h->ctx, h->n, h->buf);
    sha256_digest(&h->ctx, sizeof digest, digest);
    cs__free(ds->eng, h, sizeof *h);
    to_hex(digest, out);
    return CS_OK;
}
