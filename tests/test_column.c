/*
** test_column.c: typed columns, dictionaries, dates, text helpers and
** the whole-column aggregates, with an out-of-memory sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "coopstat.h"

#include "tally.h"

static cs_engine *new_engine(void)
{
    cs_engine *eng;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    return eng;
}

static void test_column_int64_push_get_and_stats(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *c;
    cs_stats st;
    cs_value v;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 5), CS_OK);
    assert_int_equal(cs_column_push_null(c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, -7), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 12), CS_OK);
    assert_int_equal(cs_column_len(c), 4);
    assert_int_equal(cs_column_nulls(c), 1);
    assert_true(cs_column_is_null(c, 1));
    assert_false(cs_column_is_null(c, 0));
    cs_column_get(c, 2, &v);
    assert_false(v.isnull);
    assert_int_equal(v.u.i, -7);
    assert_int_equal(cs_column_stats(c, &st), CS_OK);
    assert_int_equal(st.count, 3);
    assert_int_equal(st.nulls, 1);
    assert_int_equal(st.isum, 10);
    assert_true(fabs(st.mean - 10.0 / 3) < 1e-12);
    assert_int_equal(st.min.u.i, -7);
    assert_int_equal(st.max.u.i, 12);
    /* A float into an int column is a type error. */
    assert_int_equal(cs_column_push_f64(c, 1.5), CS_ETYPE);
    assert_non_null(strstr(cs_errmsg(eng), "float64"));
    cs_column_release(c);
    cs_engine_free(eng);
}

static void test_column_int64_sum_overflow_is_an_error(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *c;
    cs_stats st;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, INT64_MAX), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 1), CS_OK);
    assert_int_equal(cs_column_stats(c, &st), CS_EOVERFLOW);
    assert_non_null(strstr(cs_errmsg(eng), "int64 range"));
    /* Everything but the int64 sum is still there. */
    assert_int_equal(st.count, 2);
    assert_int_equal(st.min.u.i, 1);
    assert_int_equal(st.max.u.i, INT64_MAX);
    assert_true(st.mean == ((double)INT64_MAX + 1.0) / 2.0);
    /* An intermediate overflow that comes back into range is exact. */
    assert_int_equal(cs_column_push_i64(c, -2), CS_OK);
    assert_int_equal(cs_column_stats(c, &st), CS_OK);
    assert_int_equal(st.isum, INT64_MAX - 1);
    cs_column_release(c);
    cs_engine_free(eng);
}

static void test_column_empty_and_all_null_stats(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *c;
    cs_stats st;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &c), CS_OK);
    assert_int_equal(cs_column_stats(c, &st), CS_OK);
    assert_int_equal(st.count, 0);
    assert_true(isnan(st.mean));
    assert_true(st.min.isnull);
    assert_int_equal(cs_column_push_null(c), CS_OK);
    assert_int_equal(cs_column_push_null(c), CS_OK);
    assert_int_equal(cs_column_stats(c, &st), CS_OK);
    assert_int_equal(st.count, 0);
    assert_int_equal(st.nulls, 2);
    assert_true(st.max.isnull);
    cs_column_release(c);
    cs_engine_free(eng);
}

static void test_column_float_bool_date_stats(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *f, *b, *d;
    cs_stats st;
    int32_t day;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &f), CS_OK);
    assert_int_equal(cs_column_push_f64(f, 1.5), CS_OK);
    assert_int_equal(cs_column_push_f64(f, -0.5), CS_OK);
    assert_int_equal(cs_column_stats(f, &st), CS_OK);
    assert_true(st.fsum == 1.0 && st.min.u.f == -0.5 && st.max.u.f == 1.5);
    /* NaN first or last is neither the minimum nor the maximum. */
    {
        cs_column *g;
        assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &g), CS_OK);
        assert_int_equal(cs_column_push_f64(g, NAN), CS_OK);
        assert_int_equal(cs_column_stats(g, &st), CS_OK);
        assert_true(isnan(st.min.u.f) && isnan(st.max.u.f));
        assert_int_equal(cs_column_push_f64(g, 2.0), CS_OK);
        assert_int_equal(cs_column_push_f64(g, -3.0), CS_OK);
        assert_int_equal(cs_column_push_f64(g, NAN), CS_OK);
        assert_int_equal(cs_column_stats(g, &st), CS_OK);
        assert_true(st.min.u.f == -3.0 && st.max.u.f == 2.0);
        assert_true(isnan(st.mean));
        cs_column_release(g);
    }

    assert_int_equal(cs_column_new(eng, CS_TYPE_BOOL, &b), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 1), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 0), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 7), CS_OK);
    assert_int_equal(cs_column_stats(b, &st), CS_OK);
    assert_int_equal(st.isum, 2);

    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    assert_int_equal(cs_date_parse("2023-06-30", 10, NULL, &day), CS_OK);
    assert_int_equal(cs_column_push_date(d, day), CS_OK);
    assert_int_equal(cs_date_parse("1997-01-01", 10, NULL, &day), CS_OK);
    assert_int_equal(cs_column_push_date(d, day), CS_OK);
    assert_int_equal(cs_column_stats(d, &st), CS_OK);
    assert_int_equal(st.min.u.d, day);
    cs_column_release(f);
    cs_column_release(b);
    cs_column_release(d);
    cs_engine_free(eng);
}

static void test_column_dates_parse_and_format(void **state)
{
    int32_t d;
    char buf[16];
    (void)state;
    assert_int_equal(cs_date_parse("1970-01-01", 10, NULL, &d), CS_OK);
    assert_int_equal(d, 0);
    assert_int_equal(cs_date_parse("2024-02-29", 10, NULL, &d), CS_OK);
    cs_date_format(d, buf);
    assert_string_equal(buf, "2024-02-29");
    assert_int_equal(cs_date_parse("2023-02-29", 10, NULL, &d), CS_EPARSE);
    assert_int_equal(cs_date_parse("2023-13-01", 10, NULL, &d), CS_EPARSE);
    assert_int_equal(cs_date_parse("2023-1-01", 9, NULL, &d), CS_EPARSE);
    assert_int_equal(cs_date_parse("2023-01-01x", 11, NULL, &d), CS_EPARSE);
    assert_int_equal(cs_date_parse("25/11/2026", 10, "%d/%m/%Y", &d), CS_OK);
    cs_date_format(d, buf);
    assert_string_equal(buf, "2026-11-25");
    assert_int_equal(cs_date_parse("5/7/2023", 8, "%d/%m/%Y", &d), CS_OK);
    cs_date_format(d, buf);
    assert_string_equal(buf, "2023-07-05");
    assert_int_equal(cs_date_parse("1900-03-01", 10, NULL, &d), CS_OK);
    cs_date_format(d, buf);
    assert_string_equal(buf, "1900-03-01");
    cs_date_format(cs_date_from_ymd(1600, 2, 29), buf);
    assert_string_equal(buf, "1600-02-29");
}

static void test_column_strings_are_nfc_dictionary_codes(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *c;
    const uint32_t *codes;
    const char *s;
    size_t len;
    /* "Lạc Sơn" composed, and decomposed (a + combining dot below,
    ** o + combining horn). */
    static const char composed[] = "L\xE1\xBA\xA1" "c S\xC6\xA1n";
    static const char decomposed[] = "La\xCC\xA3" "c So\xCC\x9Bn";
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &c), CS_OK);
    assert_int_equal(cs_column_push_str(c, composed, strlen(composed)), CS_OK);
    assert_int_equal(cs_column_push_str(c, decomposed, strlen(decomposed)),
                     CS_OK);
    assert_int_equal(cs_column_push_str(c, "Mai Ch\xC3\xA2u", 9), CS_OK);
    assert_int_equal(cs_column_push_str(c, "", 0), CS_OK);
    assert_int_equal(cs_column_push_null(c), CS_OK);
    codes = cs_column_codes(c);
    assert_non_null(codes);
    assert_int_equal(codes[0], codes[1]);
    assert_int_not_equal(codes[0], codes[2]);
    assert_int_equal(cs_column_dict_size(c), 3);
    s = cs_column_dict_str(c, codes[1], &len);
    assert_int_equal(len, strlen(composed));
    assert_memory_equal(s, composed, len);
    assert_int_equal(cs_column_nulls(c), 1);
    /* Invalid UTF-8 is refused. */
    assert_int_equal(cs_column_push_str(c, "ab\xC3(", 4), CS_EENCODING);
    assert_non_null(strstr(cs_errmsg(eng), "byte 3"));
    assert_null(cs_column_i64s(c));
    cs_column_release(c);
    cs_engine_free(eng);
}

static void test_column_many_distinct_strings(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *c;
    char buf[32];
    int i, n;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &c), CS_OK);
    for (i = 0; i < 100000; i++) {
        n = snprintf(buf, sizeof buf, "org-%d", i % 50000);
        assert_int_equal(cs_column_push_str(c, buf, (size_t)n), CS_OK);
    }
    assert_int_equal(cs_column_dict_size(c), 50000);
    assert_int_equal(cs_column_codes(c)[50000 + 123], 123);
    cs_column_release(c);
    cs_engine_free(eng);
}

static void test_column_utf8_validation_and_width(void **state)
{
    size_t bad = 99;
    (void)state;
    assert_true(cs_utf8_valid("\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c", 10, &bad));
    assert_false(cs_utf8_valid("\xC0\x80", 2, &bad));           /* overlong */
    assert_int_equal(bad, 0);
    assert_false(cs_utf8_valid("ab\xED\xA0\x80", 5, &bad));     /* surrogate */
    assert_int_equal(bad, 2);
    assert_false(cs_utf8_valid("\xF4\x90\x80\x80", 4, &bad));   /* > 10FFFF */
    assert_false(cs_utf8_valid("\xE1\xBA", 2, &bad));           /* cut */
    /* "Đà Bắc": 6 cells; decomposed marks add no width; CJK is 2. */
    assert_int_equal(cs_utf8_width("\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c", 10),
                     6);
    assert_int_equal(cs_utf8_width("La\xCC\xA3" "c", 5), 3);
    assert_int_equal(cs_utf8_width("\xE4\xB8\xAD", 3), 2);
}

static void test_column_frozen_rejects_push(void **state)
{
    cs_engine *eng = new_engine();
    cs_dataset *ds;
    cs_column *c;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 1), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 2), CS_EMISUSE);
    assert_int_equal(cs_column_push_null(c), CS_EMISUSE);
    cs_column_release(c);
    assert_int_equal(cs_column_len(cs_dataset_column(ds, 0)), 1);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_column_bad_type_is_einval(void **state)
{
    cs_engine *eng = new_engine();
    cs_column *c = (cs_column *)1;
    (void)state;
    assert_int_equal(cs_column_new(eng, (cs_type)42, &c), CS_EINVAL);
    assert_null(c);
    assert_int_equal(cs_type_from_name("int64"), CS_TYPE_I64);
    assert_int_equal(cs_type_from_name("date"), CS_TYPE_DATE);
    assert_int_equal(cs_type_from_name("integer"), 0);
    cs_engine_free(eng);
}

/* Each allocation failure in building a string column returns CS_ENOMEM
** and, once released, leaves nothing allocated. */
static void test_column_oom_sweep(void **state)
{
    long n;
    (void)state;
    for (n = 1; n < 1000; n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *eng;
        cs_column *c = NULL;
        int rc, i;
        t.fail_at = n;
        rc = cs_engine_new(tally_alloc, &t, &eng);
        if (rc) {
            assert_int_equal(rc, CS_ENOMEM);
            continue;
        }
        rc = cs_column_new(eng, CS_TYPE_STR, &c);
        for (i = 0; rc == CS_OK && i < 40; i++)
            rc = i % 7 ? cs_column_push_str(c, "Kim B\xC3\xB4i x", 9 + i % 3)
                       : cs_column_push_null(c);
        if (rc == CS_OK) {
            cs_column_release(c);
            cs_engine_free(eng);
            assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
            break;
        }
        assert_int_equal(rc, CS_ENOMEM);
        cs_column_release(c);
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
    }
    assert_true(n > 3 && n < 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_int64_push_get_and_stats),
        cmocka_unit_test(test_column_int64_sum_overflow_is_an_error),
        cmocka_unit_test(test_column_empty_and_all_null_stats),
        cmocka_unit_test(test_column_float_bool_date_stats),
        cmocka_unit_test(test_column_dates_parse_and_format),
        cmocka_unit_test(test_column_strings_are_nfc_dictionary_codes),
        cmocka_unit_test(test_column_many_distinct_strings),
        cmocka_unit_test(test_column_utf8_validation_and_width),
        cmocka_unit_test(test_column_frozen_rejects_push),
        cmocka_unit_test(test_column_bad_type_is_einval),
        cmocka_unit_test(test_column_oom_sweep),
    };
    return cmocka_run_group_tests_name("column", tests, NULL, NULL);
}
