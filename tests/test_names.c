/*
** test_names.c: Vietnamese name keys (tone placement old and new,
** decomposed input, type words, Ð for Đ, names without marks), joins
** that match names by their keys, and text brought to NFC (what the REPL
** does to a line typed decomposed).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "coopstat.h"
#include "dsspec.h"
#include "tally.h"

static void key_is(cs_engine *eng, const char *name, int loose, const char *want)
{
    char *key;
    size_t len;
    assert_int_equal(cs_text_name_key(eng, name, strlen(name), loose, &key, &len), CS_OK);
    assert_string_equal(key, want);
    assert_int_equal(len, strlen(want));
    cs_free_str(eng, key);
}

static void test_name_keys(void **state)
{
    cs_engine *eng;
    char *key = NULL;
    size_t len;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    /* Old and new tone placement: Hoà / Hòa, Thuỷ / Thủy. */
    key_is(eng, "Ho\xC3\xA0 B\xC3\xACnh", 0, "hoa1 binh1");           /* Hoà Bình */
    key_is(eng, "H\xC3\xB2" "a B\xC3\xACnh", 0, "hoa1 binh1");        /* Hòa Bình */
    key_is(eng, "L\xE1\xBA\xA1" "c Thu\xE1\xBB\xB7", 0, "lac5 thuy4"); /* Lạc Thuỷ */
    key_is(eng, "L\xE1\xBA\xA1" "c Th\xE1\xBB\xA7y", 0, "lac5 thuy4"); /* Lạc Thủy */
    /* Decomposed input (a + combining grave). */
    key_is(eng, "Hoa\xCC\x80 Bi\xCC\x80nh", 0, "hoa1 binh1");
    /* Case, type words and punctuation. */
    key_is(eng, "TH\xE1\xBB\x8A TR\xE1\xBA\xA4N V\xE1\xBB\xA4 B\xE1\xBA\xA2N", 0,
           "vu5 ban4");                                               /* THỊ TRẤN VỤ BẢN */
    key_is(eng, "TT. V\xE1\xBB\xA5 B\xE1\xBA\xA3n", 0, "vu5 ban4");   /* TT. Vụ Bản */
    key_is(eng, "Huy\xE1\xBB\x87n  \xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c", 0,
           "\xC4\x91" "a1 b\xC4\x83" "c2");                           /* Huyện  Đà Bắc */
    key_is(eng, "Th\xC3\xA0nh ph\xE1\xBB\x91 H\xC3\xB2" "a B\xC3\xACnh", 0,
           "hoa1 binh1");                                             /* Thành phố */
    key_is(eng, "Ph\xC6\xB0\xE1\xBB\x9Dng Th\xC3\xA1i B\xC3\xACnh", 0,
           "thai2 binh1");                                            /* Phường */
    /* Ð (eth) typed for Đ. */
    key_is(eng, "\xC3\x90\xC3\xA0 B\xE1\xBA\xAF" "c", 0, "\xC4\x91" "a1 b\xC4\x83" "c2");
    /* Quality marks stay: Hóa is not Hoa, nor is Hoa Hòa. */
    key_is(eng, "H\xC3\xB3" "a", 0, "hoa2");
    key_is(eng, "Hoa", 0, "hoa");
    /* Loose: every mark dropped, for sources written without them. */
    key_is(eng, "Huy\xE1\xBB\x87n L\xE1\xBA\xA1" "c Th\xE1\xBB\xA7y", 1, "lac thuy");
    key_is(eng, "Lac Thuy", 1, "lac thuy");
    key_is(eng, "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c", 1, "da bac");
    /* A type word alone stays (nothing else would be left). */
    key_is(eng, "X\xC3\xA3", 0, "xa3");
    key_is(eng, "", 0, "");
    key_is(eng, "  ", 0, "");
    /* Invalid UTF-8. */
    assert_int_equal(cs_text_name_key(eng, "a\xFF", 2, 0, &key, &len), CS_EENCODING);
    assert_null(key);
    cs_engine_free(eng);
}

static void test_join_by_name(void **state)
{
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    const char *lk[] = {"huyen"}, *rk[] = {"name"};
    cs_value v;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(spec_dataset(eng, "huyen:s=Huy\xE1\xBB\x87n L\xE1\xBA\xA1" "c Thu\xE1\xBB\xB7,"
                                       "Nowhere,;n:i=1,2,3", &l), CS_OK);
    assert_int_equal(spec_dataset(eng, "name:s=L\xE1\xBA\xA1" "c Th\xE1\xBB\xA7y,Kim B\xC3\xB4i;"
                                       "code:s=159,153", &r), CS_OK);
    assert_int_equal(cs_dataset_join_names(l, r, lk, rk, 1, CS_JOIN_LEFT, NULL, &j), CS_OK);
    assert_int_equal(cs_dataset_nrows(j), 3);
    assert_int_equal(cs_dataset_ncols(j), 4); /* huyen, n, name, code: no key columns left */
    assert_int_equal(cs_dataset_find(j, "__name_key_1"), -1);
    cs_column_get(cs_dataset_column(j, (size_t)cs_dataset_find(j, "code")), 0, &v);
    assert_string_equal(v.u.s.p, "159");
    assert_true(cs_column_is_null(cs_dataset_column(j, 3), 1)); /* Nowhere: no match */
    assert_true(cs_column_is_null(cs_dataset_column(j, 3), 2)); /* null: never matches */
    cs_dataset_free(j);
    /* Anti: the names that found no match. */
    assert_int_equal(cs_dataset_join_names(l, r, lk, rk, 1, CS_JOIN_ANTI, NULL, &j), CS_OK);
    assert_int_equal(cs_dataset_nrows(j), 2);
    cs_dataset_free(j);
    /* A key that is not a string. */
    lk[0] = "n";
    assert_int_equal(cs_dataset_join_names(l, r, lk, rk, 1, CS_JOIN_LEFT, NULL, &j), CS_ETYPE);
    assert_null(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

static void test_text_nfc_composes_decomposed_letters(void **state)
{
    cs_engine *eng;
    char *s = NULL;
    size_t len;
    long n;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    /* "Lạc Sơn" typed decomposed (a + dot below, o + horn). */
    assert_int_equal(cs_text_nfc(eng, "La\xCC\xA3" "c So\xCC\x9B" "n", 11,
                                 &s, &len), CS_OK);
    assert_string_equal(s, "L\xE1\xBA\xA1" "c S\xC6\xA1" "n");
    assert_int_equal(len, 10);
    cs_free_str(eng, s);
    assert_int_equal(cs_text_nfc(eng, "x = 1", 5, &s, &len), CS_OK);
    assert_string_equal(s, "x = 1");
    cs_free_str(eng, s);
    assert_int_equal(cs_text_nfc(eng, "", 0, &s, &len), CS_OK);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    cs_free_str(eng, s);
    /* Errors: invalid UTF-8, a zero byte. */
    assert_int_equal(cs_text_nfc(eng, "a\xFF", 2, &s, &len), CS_EENCODING);
    assert_null(s);
    assert_int_equal(cs_text_nfc(eng, "a\0b", 3, &s, &len), CS_EINVAL);
    assert_null(s);
    cs_engine_free(eng);
    /* Out of memory at every allocation: CS_ENOMEM, nothing leaked. */
    for (n = 1; n < 100; n++) {
        tally t = {0, 0, 0, 0};
        int rc;
        const char *in = "Hoa\xCC\x80 Bi\xCC\x80nh";
        t.fail_at = n;
        if (cs_engine_new(tally_alloc, &t, &eng)) continue;
        rc = cs_text_nfc(eng, in, strlen(in), &s, &len);
        if (rc == CS_OK) {
            assert_string_equal(s, "Ho\xC3\xA0 B\xC3\xACnh");
            cs_free_str(eng, s);
        } else {
            assert_int_equal(rc, CS_ENOMEM);
            assert_null(s);
        }
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
        if (rc == CS_OK) break;
    }
    assert_true(n > 1 && n < 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_keys),
        cmocka_unit_test(test_join_by_name),
        cmocka_unit_test(test_text_nfc_composes_decomposed_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
