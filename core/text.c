/*
** text.c: UTF-8 validation, NFC normalisation and display width.
** Normalisation is utf8proc's, run into a buffer the engine owns; text
** that is pure ASCII is already NFC and skips it.
*/
#include "csint.h"

#include <string.h>
#include <utf8proc.h>

int cs__is_ascii(const char *s, size_t len)
{
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < len; i++) acc |= (unsigned char)s[i];
    return (acc & 0x8080808080808080ull) == 0;
}

/* Decodes one code point at S[0..LEN); returns its length (0 if bad). */
static size_t decode(const unsigned char *s, size_t len, int32_t *cp)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (len < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = (int32_t)(((c & 0x1Fu) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned v;
        if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        v = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        *cp = (int32_t)v;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned v;
        if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        v = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) |
            ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
        if (v < 0x10000 || v > 0x10FFFF) return 0;
        *cp = (int32_t)v;
        return 4;
    }
    return 0;
}

int cs_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        size_t n;
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        n = decode(u + i, len - i, &cp);
        if (n == 0) {
            if (bad_offset) *bad_offset = i;
            return 0;
        }
        i += n;
    }
    return 1;
}

size_t cs_utf8_width(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, w = 0;
    while (i < len) {
        int32_t cp;
        size_t n = decode(u + i, len - i, &cp);
        int cw;
        if (n == 0) {
            w++;
            i++;
            continue;
        }
        i += n;
        if (cp < 0x20 || cp == 0x7F) continue;
        cw = utf8proc_charwidth(cp);
        if (cw > 0) w += (size_t)cw;
    }
    return w;
}

int cs__nfc(cs_engine *eng, const char *s, size_t len, cs_buf *out)
{
    const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    utf8proc_ssize_t n, cap;
    size_t bytes;
    int rc;

    out->len = 0;
    if (cs__is_ascii(s, len)) return cs__buf_add(out, s, len);
    if (len > (size_t)(PTRDIFF_MAX / 8))
        return cs__error(eng, CS_EOVERFLOW, "text too long to normalise");

    /* A decomposition rarely grows text by more than 3 code points per
    ** byte; the buffer holds code points, then the re-encoded UTF-8. */
    cap = (utf8proc_ssize_t)len + 16;
    for (;;) {
        if (!cs__mul_ok((size_t)cap, sizeof(utf8proc_int32_t), &bytes))
            return cs__error(eng, CS_EOVERFLOW, "text too long");
        out->len = 0;
        rc = cs__buf_reserve(out, bytes);
        if (rc) return rc;
        n = utf8proc_decompose((const utf8proc_uint8_t *)s,
                               (utf8proc_ssize_t)len,
                               (utf8proc_int32_t *)(void *)out->p, cap, opts);
        if (n < 0)
            return cs__error(eng, CS_EENCODING, "invalid UTF-8: %s",
                             utf8proc_errmsg(n));
        if (n <= cap) break;
        cap = n;
    }
    n = utf8proc_reencode((utf8proc_int32_t *)(void *)out->p, n, opts);
    if (n < 0)
        return cs__error(eng, CS_EENCODING, "cannot normalise text: %s",
                         utf8proc_errmsg(n));
    out->len = (size_t)n;
    out->p[out->len] = '\0';
    return CS_OK;
}

int cs_text_nfc(cs_engine *eng, const char *s, size_t len, char **out,
                size_t *outlen)
{
    cs_buf b;
    int rc;
    *out = NULL;
    *outlen = 0;
    if (memchr(s, '\0', len))
        return cs__error(eng, CS_EINVAL, "text holds a zero byte");
    cs__buf_init(&b, eng);
    rc = cs__nfc(eng, s, len, &b);
    if (!rc) {
        *outlen = b.len;
        *out = cs__buf_detach(&b);
        if (!*out) rc = cs__oom(eng);
    }
    cs__buf_free(&b);
    return rc;
}

size_t cs_text_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, row[65];
    if (la > 64 || lb > 64) return (size_t)-1;
    for (j = 0; j <= lb; j++) row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* ------------------------------------------------------------------ */
/* Vietnamese name keys                                               */
/* ------------------------------------------------------------------ */

/* The tone marks of Vietnamese (on the syllable, not the vowel's
** quality): huyền, sắc, ngã, hỏi, nặng; 0 for any other code point. */
static int tone_of(int32_t cp)
{
    switch (cp) {
    case 0x0300: case 0x0340: return 1; /* grave: huyền */
    case 0x0301: case 0x0341: return 2; /* acute: sắc */
    case 0x0303: return 3;              /* tilde: ngã */
    case 0x0309: return 4;              /* hook above: hỏi */
    case 0x0323: return 5;              /* dot below: nặng */
    default: return 0;
    }
}

static int is_mark(int32_t cp)
{
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    return p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_MC;
}

static int is_word_cp(int32_t cp)
{
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    return (p->category >= UTF8PROC_CATEGORY_LU && p->category <= UTF8PROC_CATEGORY_LO) ||
           p->category == UTF8PROC_CATEGORY_ND || is_mark(cp);
}

/* Words that say what kind of unit a name is, as keys (so that they
** match however they are written); dropped at the start of a name. */
static const char *const type_words[][2] = {
    {"thanh1 phô2", "thanh pho"}, {"thi5 trân2", "thi tran"},
    {"thi5 xa3", "thi xa"},       {"tinh4", "tinh"},
    {"huyên5", "huyen"},          {"quân5", "quan"},
    {"phương1", "phuong"},        {"xa3", "xa"},
    {"tp", "tp"},                 {"tx", "tx"},
    {"tt", "tt"},
};

int cs_text_name_key(cs_engine *eng, const char *s, size_t len, int loose,
                     char **out, size_t *outlen)
{
    const utf8proc_option_t dec = UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD;
    utf8proc_int32_t *cps = NULL;
    utf8proc_ssize_t n, cap = (utf8proc_ssize_t)len + 16, i;
    cs_buf key, word;
    size_t cpbytes = 0, k, start;
    int rc = CS_OK, tone = 0, again = 1;

    *out = NULL;
    *outlen = 0;
    if (len > (size_t)(PTRDIFF_MAX / 16))
        return cs__error(eng, CS_EOVERFLOW, "name too long");
    cs__buf_init(&key, eng);
    cs__buf_init(&word, eng);
    while (again) {
        if (!cs__mul_ok((size_t)cap, sizeof *cps, &cpbytes))
            return cs__error(eng, CS_EOVERFLOW, "name too long");
        cps = cs__alloc(eng, cpbytes);
        if (!cps) return cs__oom(eng);
        n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, cps,
                               cap, dec);
        if (n < 0) {
            cs__free(eng, cps, cpbytes);
            return cs__error(eng, CS_EENCODING, "invalid UTF-8 in a name: %s",
                             utf8proc_errmsg(n));
        }
        again = n > cap;
        if (again) {
            cs__free(eng, cps, cpbytes);
            cap = n;
        }
    }
    /* Word by word: letters (with their quality marks: ^, breve, horn)
    ** recomposed, the tone as a digit at the word's end. */
    for (i = 0; i <= n && !rc; i++) {
        int32_t cp = i < n ? cps[i] : ' ';
        if (cp == 0x00F0 || cp == 0x0110) cp = 0x0111; /* Ð (eth) and Đ: đ */
        if (i < n && is_word_cp(cp)) {
            int t = tone_of(cp);
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t m;
            if (t) {
                tone = t;
                continue;
            }
            if (loose && is_mark(cp)) continue;
            if (loose && cp == 0x0111) cp = 'd';
            m = utf8proc_encode_char(cp, enc);
            rc = cs__buf_add(&word, (const char *)enc, (size_t)m);
            continue;
        }
        if (word.len == 0) continue;
        /* The word ends: recompose it, then its tone. */
        {
            cs_buf nfc;
            cs__buf_init(&nfc, eng);
            rc = cs__nfc(eng, word.p, word.len, &nfc);
            if (!rc && key.len) rc = cs__buf_add(&key, " ", 1);
            if (!rc) rc = cs__buf_add(&key, nfc.p, nfc.len);
            if (!rc && tone && !loose) {
                char d = (char)('0' + tone);
                rc = cs__buf_add(&key, &d, 1);
            }
            cs__buf_free(&nfc);
        }
        word.len = 0;
        tone = 0;
    }
    cs__free(eng, cps, cpbytes);
    cs__buf_free(&word);
    if (rc) {
        cs__buf_free(&key);
        return rc;
    }
    /* Drop type words at the start ("Thị trấn Vụ Bản" -> "vu5 ban3"),
    ** unless nothing would be left. */
    start = 0;
    for (again = 1; again;) {
        again = 0;
        for (k = 0; k < sizeof type_words / sizeof *type_words; k++) {
            const char *w = type_words[k][loose ? 1 : 0];
            size_t wl = strlen(w);
            const char *rest = key.p ? key.p + start : "";
            size_t left = key.len - start;
            if (left > wl && memcmp(rest, w, wl) == 0 && rest[wl] == ' ') {
                start += wl + 1;
                again = 1;
                break;
            }
        }
    }
    *outlen = key.len - start;
    *out = cs__strndup(eng, key.p ? key.p + start : "", *outlen);
    cs__buf_free(&key);
    if (!*out) return cs__oom(eng);
    return CS_OK;
}
