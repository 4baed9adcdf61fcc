/*
** test_format.c: the table printer (cs_dataset_format), which the REPL
** fits to the terminal: display widths of Vietnamese (typed composed or
** decomposed) and wide letters, cells cut at 40 cells on a character
** boundary, numbers right and text left, nulls, control characters,
** fitting to a width (middle columns elided, a column wider than the
** screen narrowed, text before numbers) and to a number of rows, with an
** out-of-memory sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "coopstat.h"

#include "dsspec.h"
#include "tally.h"

#define ELLIPSIS "\xE2\x80\xA6"
#define RULE3 "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"
/* "Lạc Sơn" decomposed (a + dot below, o + horn) and composed. */
#define LAC_SON_NFD "La\xCC\xA3" "c So\xCC\x9B" "n"
#define LAC_SON_NFC "L\xE1\xBA\xA1" "c S\xC6\xA1" "n"
#define TOKYO "\xE6\x9D\xB1\xE4\xBA\xAC" /* two wide letters */

static cs_engine *eng;

static int setup(void **state)
{
    (void)state;
    return cs_engine_new(NULL, NULL, &eng);
}

static int teardown(void **state)
{
    (void)state;
    cs_engine_free(eng);
    return 0;
}

static char *format(const char *spec, size_t max_rows, size_t width)
{
    cs_dataset *ds;
    cs_format_options opt;
    char *s = NULL;
    opt.max_rows = max_rows;
    opt.width = width;
    opt.show_types = 0;
    assert_int_equal(spec_dataset(eng, spec, &ds), CS_OK);
    assert_int_equal(cs_dataset_format(ds, &opt, &s), CS_OK);
    cs_dataset_free(ds);
    assert_non_null(s);
    return s;
}

/* Line K (from 0) of S, copied into BUF; NULL past the end. */
static const char *line_of(const char *s, size_t k, char *buf, size_t size)
{
    const char *end;
    size_t n;
    while (k-- > 0) {
        s = strchr(s, '\n');
        if (s == NULL || *++s == '\0') return NULL;
    }
    if (*s == '\0') return NULL;
    end = strchr(s, '\n');
    n = end ? (size_t)(end - s) : strlen(s);
    assert_true(n < size);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static size_t width_of(const char *s)
{
    return cs_utf8_width(s, strlen(s));
}

static void test_format_aligns_by_display_width(void **state)
{
    char *s;
    (void)state;
    s = format("place:s=" LAC_SON_NFD "," TOKYO ",A;n:i=1,,300", 0, 0);
    assert_string_equal(s, "place      n\n"
                           "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"
                           "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80  " RULE3 "\n"
                           LAC_SON_NFC "    1\n"
                           TOKYO "       \xE2\x88\x85\n"
                           "A        300\n"
                           "(3 rows, 2 columns)\n");
    cs_free_str(eng, s);
}

static void test_format_right_aligns_numbers_left_aligns_text(void **state)
{
    char buf[256];
    char *s;
    (void)state;
    s = format("name:s=Mai Ch\xC3\xA2u,x;f:f=1.5,-20.25;b:b=true,false;"
               "d:d=2023-06-30,", 0, 0);
    assert_string_equal(line_of(s, 0, buf, sizeof buf),
                        "name           f  b      d");
    assert_string_equal(line_of(s, 2, buf, sizeof buf),
                        "Mai Ch\xC3\xA2u     1.5  true   2023-06-30");
    assert_string_equal(line_of(s, 3, buf, sizeof buf),
                        "x         -20.25  false  \xE2\x88\x85");
    cs_free_str(eng, s);
}

static void test_format_cuts_long_cells_on_a_character(void **state)
{
    char spec[512], buf[512];
    size_t i, bad;
    char *s;
    (void)state;
    /* 50 "ạ" (3 bytes each) and 25 wide letters (50 cells). */
    strcpy(spec, "v:s=");
    for (i = 0; i < 50; i++) strcat(spec, "\xE1\xBA\xA1");
    strcat(spec, ",");
    for (i = 0; i < 25; i++) strcat(spec, "\xE6\x9D\xB1");
    s = format(spec, 0, 0);
    assert_true(cs_utf8_valid(s, strlen(s), &bad));
    line_of(s, 2, buf, sizeof buf);
    assert_int_equal(width_of(buf), 40);
    assert_non_null(strstr(buf, "\xE1\xBA\xA1" ELLIPSIS));
    line_of(s, 3, buf, sizeof buf);
    assert_int_equal(width_of(buf), 39); /* 19 wide letters and "…" */
    assert_non_null(strstr(buf, "\xE6\x9D\xB1" ELLIPSIS));
    line_of(s, 1, buf, sizeof buf);
    assert_int_equal(width_of(buf), 40);
    cs_free_str(eng, s);
}

static void test_format_escapes_control_characters(void **state)
{
    cs_column *c;
    cs_dataset *ds;
    char *s;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &c), CS_OK);
    assert_int_equal(cs_column_push_str(c, "a\tb\nc", 5), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "t", c), CS_OK);
    cs_column_release(c);
    assert_int_equal(cs_dataset_format(ds, NULL, &s), CS_OK);
    assert_non_null(strstr(s, "a\\x09b\\x0Ac\n"));
    assert_int_equal(count_lines(s), 4);
    cs_free_str(eng, s);
    cs_dataset_free(ds);
}

/* Eight columns, one of them 40 cells wide. */
static const char wide_spec[] =
    "org_id:i=1,2,3;"
    "name:s=HTX V\xE1\xBA\xADn t\xE1\xBA\xA3i h\xC3\xA0nh kh\xC3\xA1" "ch "
    "Th\xC3\xA1i B\xC3\xACnh v\xC3\xA0 Ho\xC3\xA0 B\xC3\xACnh,"
    "HTX M\xE1\xBB\x99" "c,T\xE1\xBB\x95 h\xE1\xBB\xA3p t\xC3\xA1" "c;"
    "kind:s=HTX,HTX,THT;district:s=L\xE1\xBA\xA1" "c S\xC6\xA1n,Mai Ch\xC3\xA2u,"
    "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c;members:i=14,7,;"
    "regular_workers:i=0,2,24;seasonal_workers:i=0,0,4;"
    "capital_vnd:i=426000000,108000000,399000000";

static void test_format_fits_every_width(void **state)
{
    char buf[1024];
    char *full, *s;
    size_t w, fullw, k;
    (void)state;
    full = format(wide_spec, 0, 0);
    fullw = width_of(line_of(full, 1, buf, sizeof buf));
    assert_true(fullw > 100);
    for (w = 1; w <= fullw + 5; w++) {
        s = format(wide_spec, 0, w);
        for (k = 0; k < 5; k++) { /* the header, the rule, three rows */
            line_of(s, k, buf, sizeof buf);
            assert_true(width_of(buf) <= (w < 4 ? 4 : w));
        }
        line_of(s, 0, buf, sizeof buf);
        if (w >= fullw) {
            assert_string_equal(s, full);
        } else {
            /* The first column stays; the middle ones give way. */
            if (w >= 9) assert_true(strncmp(buf, "org_id", 6) == 0);
            assert_non_null(strstr(buf, ELLIPSIS));
        }
        if (w >= 40 && w < fullw)
            assert_non_null(strstr(buf, "capital_vnd")); /* the last too */
        cs_free_str(eng, s);
    }
    cs_free_str(eng, full);
}

static void test_format_narrows_a_column_wider_than_the_screen(void **state)
{
    char buf[512];
    char *s;
    size_t k;
    (void)state;
    s = format("name:s=H\xE1\xBB\xA3p t\xC3\xA1" "c x\xC3\xA3 "
               "L\xE1\xBA\xA1" "c S\xC6\xA1" "n tr\xE1\xBB\x93ng l\xC3\xBA" "a",
               0, 12);
    for (k = 0; k < 3; k++) {
        line_of(s, k, buf, sizeof buf);
        assert_true(width_of(buf) <= 12);
    }
    assert_string_equal(line_of(s, 2, buf, sizeof buf),
                        "H\xE1\xBB\xA3p t\xC3\xA1" "c x\xC3\xA3 " ELLIPSIS);
    cs_free_str(eng, s);
    /* With more columns, the first is kept and narrowed beside the "…"
    ** that stands for the rest. */
    s = format("name:s=Qu\xE1\xBB\xB9 t\xC3\xADn d\xE1\xBB\xA5ng nh\xC3\xA2n "
               "d\xC3\xA2n Ph\xC3\xBA" " Minh;capital_vnd:i=1256000000",
               0, 20);
    assert_string_equal(line_of(s, 0, buf, sizeof buf), "name               " ELLIPSIS);
    assert_string_equal(line_of(s, 2, buf, sizeof buf),
                        "Qu\xE1\xBB\xB9 t\xC3\xADn d\xE1\xBB\xA5ng nh\xC3\xA2" ELLIPSIS
                        "  " ELLIPSIS);
    cs_free_str(eng, s);
}

static void test_format_fits_a_number_of_rows(void **state)
{
    char spec[2048], buf[256];
    size_t i, len;
    char *s;
    (void)state;
    len = (size_t)snprintf(spec, sizeof spec, "n:i=");
    for (i = 1; i <= 100; i++)
        len += (size_t)snprintf(spec + len, sizeof spec - len, "%s%zu",
                                i > 1 ? "," : "", i);
    s = format(spec, 10, 0);
    /* Header, rule, 5 rows, the "more" line, 5 rows, the count. */
    assert_int_equal(count_lines(s), 14);
    assert_string_equal(line_of(s, 2, buf, sizeof buf), "  1");
    assert_string_equal(line_of(s, 6, buf, sizeof buf), "  5");
    assert_string_equal(line_of(s, 7, buf, sizeof buf),
                        ELLIPSIS " 90 more rows");
    assert_string_equal(line_of(s, 8, buf, sizeof buf), " 96");
    assert_string_equal(line_of(s, 12, buf, sizeof buf), "100");
    assert_string_equal(line_of(s, 13, buf, sizeof buf),
                        "(100 rows, 1 column)");
    cs_free_str(eng, s);
    s = format(spec, 5, 0); /* odd: one more at the head */
    assert_string_equal(line_of(s, 5, buf, sizeof buf), ELLIPSIS
                        " 95 more rows");
    cs_free_str(eng, s);
    s = format(spec, 1, 0);
    assert_int_equal(count_lines(s), 5);
    cs_free_str(eng, s);
    s = format(spec, 100, 0); /* everything fits: no "more" line */
    assert_int_equal(count_lines(s), 103);
    assert_null(strstr(s, "more rows"));
    cs_free_str(eng, s);
}

/* Fitting and cutting fail cleanly at every allocation. */
static void test_format_oom_sweep(void **state)
{
    long n;
    (void)state;
    for (n = 1; n < 2000; n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *e;
        cs_dataset *ds = NULL;
        cs_format_options opt = {2, 30, 1};
        char *text = NULL;
        int rc;
        t.fail_at = n;
        if (cs_engine_new(tally_alloc, &t, &e)) continue;
        rc = spec_dataset(e, wide_spec, &ds);
        if (!rc) rc = cs_dataset_format(ds, &opt, &text);
        if (!rc) {
            assert_non_null(text);
            cs_free_str(e, text);
        } else {
            assert_int_equal(rc, CS_ENOMEM);
            assert_null(text);
        }
        cs_dataset_free(ds);
        cs_engine_free(e);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
        if (!rc) break;
    }
    assert_true(n > 10 && n < 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_aligns_by_display_width),
        cmocka_unit_test(test_format_right_aligns_numbers_left_aligns_text),
        cmocka_unit_test(test_format_cuts_long_cells_on_a_character),
        cmocka_unit_test(test_format_escapes_control_characters),
        cmocka_unit_test(test_format_fits_every_width),
        cmocka_unit_test(test_format_narrows_a_column_wider_than_the_screen),
        cmocka_unit_test(test_format_fits_a_number_of_rows),
        cmocka_unit_test(test_format_oom_sweep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
