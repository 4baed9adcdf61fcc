/*
** test_expr.c: the expression compiler and evaluator: every operator
** and its null rules, Kleene logic, overflow errors, Vietnamese case
** mapping, error messages with positions, views, and an OOM sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csint.h"   /* views are internal */
#include "exprint.h"

#include "dsspec.h"
#include "tally.h"

/* Five rows with nulls in row 3 (and elsewhere). */
#define FIXTURE                                                          \
    "i:i=7,-7,,3,0;j:i=2,2,2,,0;f:f=0.5,-2.5,1.5,,2;"                    \
    "s:s=HTX,THT,,htx,HTX;b:b=true,false,,true,false;"                   \
    "d:d=2018-05-01,2023-01-01,,2022-12-31,2024-02-29;n:i=,,,,;"         \
    "t\xC3\xAAn c\xE1\xBB\x99t:i=1,2,3,4,5;"                              \
    "th\xC3\xA0nh_vi\xC3\xAAn:i=10,20,30,40,50;members:i=1,2,3,4,5;"     \
    "year:i=1,1,1,1,1"

typedef struct row {
    const char *expr;
    const char *want;   /* the values, or the error message */
    int rc;
} row;

/* Compiles and evaluates EXPR over the dataset SPEC; on success shows
** the values in BUF, else the error message. */
static int run_expr(const char *spec, const char *expr, char *buf,
                    size_t size)
{
    cs_engine *eng;
    cs_dataset *ds;
    cs_expr *e = NULL;
    cs_column *col = NULL;
    int rc;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(spec_dataset(eng, spec, &ds), CS_OK);
    rc = cs_expr_compile(ds, expr, &e);
    if (!rc) rc = cs_expr_eval(e, ds, &col);
    if (rc) snprintf(buf, size, "%s", cs_errmsg(eng));
    else show_column(col, buf, size);
    if (!rc) assert_int_equal(cs_column_len(col), cs_dataset_nrows(ds));
    cs_column_release(col);
    cs_expr_free(e);
    cs_dataset_free(ds);
    cs_engine_free(eng);
    return rc;
}

static void check_rows(const char *spec, const row *rows, size_t n)
{
    size_t k;
    char buf[1024];
    for (k = 0; k < n; k++) {
        int rc = run_expr(spec, rows[k].expr, buf, sizeof buf);
        if (rc != rows[k].rc || strcmp(buf, rows[k].want) != 0)
            fail_msg("%s\n  want [%d] %s\n  got  [%d] %s", rows[k].expr,
                     rows[k].rc, rows[k].want, rc, buf);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_expr_arithmetic_and_null_propagation(void **state)
{
    static const row rows[] = {
        {"i + j", "9,-5,nil,nil,0", 0},
        {"i - j", "5,-9,nil,nil,0", 0},
        {"i * j", "14,-14,nil,nil,0", 0},
        {"i / j", "3.5,-3.5,nil,nil,nan", 0},
        {"i // j", "3,-4,nil,nil,nil", 0},   /* // 0 is null */
        {"i % j", "1,1,nil,nil,nil", 0},
        {"i + f", "7.5,-9.5,nil,nil,2", 0},
        {"f * 2", "1,-5,3,nil,4", 0},
        {"f // 1", "0,-3,1,nil,2", 0},
        {"f % 1", "0.5,0.5,0.5,nil,0", 0},
        {"f % -1", "-0.5,-0.5,-0.5,nil,0", 0},
        {"-i", "-7,7,nil,-3,0", 0},
        {"-f", "-0.5,2.5,-1.5,nil,-2", 0},
        {"n + 1", "nil,nil,nil,nil,nil", 0},
        {"n * 0.5", "nil,nil,nil,nil,nil", 0},
        {"i ^ 2", "49,49,nil,9,0", 0},
        {"`t\xC3\xAAn c\xE1\xBB\x99t` + 1", "2,3,4,5,6", 0},
        {"th\xC3\xA0nh_vi\xC3\xAAn * 2", "20,40,60,80,100", 0},
        /* The NFD spelling of a name finds the NFC column. */
        {"tha\xCC\x80nh_vi\xC3\xAAn // 10", "1,2,3,4,5", 0},
        {"year + year(d)", "2019,2024,nil,2023,2025", 0},
    };
    (void)state;
    check_rows(FIXTURE, rows, N(rows));
}

static void test_expr_literals_and_lua_rules(void **state)
{
    static const row rows[] = {
        {"7 // 2", "3", 0},     {"-7 // 2", "-4", 0},   {"7 // -2", "-4", 0},
        {"-7 // -2", "3", 0},   {"7 % 2", "1", 0},      {"-7 % 2", "1", 0},
        {"7 % -2", "-1", 0},    {"-7 % -2", "-1", 0},   {"7.5 // 2", "3", 0},
        {"-7.5 % 2", "0.5", 0}, {"1 / 2", "0.5", 0},    {"1 / 0", "inf", 0},
        {"2 ^ 10", "1024", 0},  {"-2 ^ 2", "-4", 0},    {"2 ^ 3 ^ 2", "512", 0},
        {"2 ^ -1", "0.5", 0},   {"1 + 2 * 3", "7", 0},  {"(1 + 2) * 3", "9", 0},
        {"1e9", "1000000000", 0}, {"1. + .5", "1.5", 0}, {"2.5E-1", "0.25", 0},
        {"10 - 2 - 3", "5", 0}, {"-x", "-1", 0},
        {"'a\\'b' == \"a'b\"", "true", 0},
        {"'x\\ty' .. \"\\\\\"", "x\ty\\", 0},
        {"1 .. ''", "1", 0},    {"1..2", "12", 0},
        {"1.5 .. ''", "1.5", 0}, {"2.0 .. '|'", "2.0|", 0},
        {"'a' .. 'b' .. 1 + 2", "ab3", 0},
        {"true", "true", 0},    {"not false", "true", 0},
        {"nil == nil", "true", 0}, {"x ~= nil", "true", 0},
        {"date('2024-02-29')", "2024-02-29", 0},
        {"9223372036854775807", "9223372036854775807", 0},
        {"1 < 2 == true", "true", 0},
        {"not 1 == 2", "expression 'not 1 == 2': position 1: cannot apply "
                       "'not' to int64", CS_ETYPE},
    };
    (void)state;
    check_rows("x:i=1", rows, N(rows));
}

static void test_expr_comparisons(void **state)
{
    static const row rows[] = {
        {"i < j", "false,true,nil,nil,false", 0},
        {"i >= j", "true,false,nil,nil,true", 0},
        {"i == 7", "true,false,nil,false,false", 0},
        {"i ~= 7", "false,true,nil,true,true", 0},
        {"i != 7", "false,true,nil,true,true", 0},
        {"f > 1", "false,false,true,nil,true", 0},
        {"i > f", "true,false,nil,nil,false", 0},
        {"f <= i", "true,false,nil,nil,false", 0},
        {"s == 'HTX'", "true,false,nil,false,true", 0},
        {"'HTX' == s", "true,false,nil,false,true", 0},
        {"s ~= 'HTX'", "false,true,nil,true,false", 0},
        {"s < 'I'", "true,false,nil,false,true", 0},
        {"'I' > s", "true,false,nil,false,true", 0},
        {"s == s", "true,true,nil,true,true", 0},
        {"s >= lower(s)", "false,false,nil,true,false", 0},
        {"d >= '2023-01-01'", "false,true,nil,false,true", 0},
        {"'2023-01-01' > d", "true,false,nil,true,false", 0},
        {"d == d", "true,true,nil,true,true", 0},
        {"b == true", "true,false,nil,true,false", 0},
        {"b ~= b", "false,false,nil,false,false", 0},
        {"i == nil", "false,false,true,false,false", 0},
        {"nil ~= i", "true,true,false,true,true", 0},
        {"s == nil", "false,false,true,false,false", 0},
        {"n == nil", "true,true,true,true,true", 0},
        {"n < 1", "nil,nil,nil,nil,nil", 0},
    };
    (void)state;
    check_rows(FIXTURE, rows, N(rows));
}

/* int64 against float64 compares exactly, even beyond 2^53. */
static void test_expr_int_float_compare_is_exact(void **state)
{
    static const row rows[] = {
        {"big == 9007199254740992.0", "false", 0},
        {"big > 9007199254740992.0", "true", 0},
        {"big < 9007199254740994.0", "true", 0},
        {"9007199254740992.0 < big", "true", 0},
        {"big + 0.0 == 9007199254740992.0", "true", 0},
        {"big <= 1e300", "true", 0},
        {"big > -1e300", "true", 0},
        {"big == 0/0", "false", 0},
        {"big ~= 0/0", "true", 0},
        {"big in (9007199254740992.0)", "false", 0},
        {"big in (9007199254740993)", "true", 0},
        {"mx < 9223372036854775808.0", "true", 0},
        {"mx == 9223372036854775807.0", "false", 0},
    };
    (void)state;
    check_rows("big:i=9007199254740993;mx:i=9223372036854775807", rows,
               N(rows));
}

static void test_expr_kleene_logic(void **state)
{
    static const row rows[] = {
        {"p and q", "true,false,nil,false,false,false,nil,false,nil", 0},
        {"p or q", "true,true,true,true,false,nil,true,nil,nil", 0},
        {"not p", "false,false,false,true,true,true,nil,nil,nil", 0},
        {"q and p", "true,false,nil,false,false,false,nil,false,nil", 0},
        {"p and true", "true,true,true,false,false,false,nil,nil,nil", 0},
        {"p or false", "true,true,true,false,false,false,nil,nil,nil", 0},
        {"p or q and false", "true,true,true,false,false,false,nil,nil,nil", 0},
        {"p == nil or q", "true,false,nil,true,false,nil,true,true,true", 0},
    };
    (void)state;
    check_rows("p:b=true,true,true,false,false,false,,,;"
               "q:b=true,false,,true,false,,true,false,",
               rows, N(rows));
}

static void test_expr_in_lists(void **state)
{
    static const row rows[] = {
        {"s in ('HTX', 'THT')", "true,true,nil,false,true", 0},
        {"s not in ('HTX')", "false,true,nil,true,false", 0},
        {"s in ('HTX', nil)", "true,nil,nil,nil,true", 0},
        {"s not in ('HTX', nil)", "false,nil,nil,nil,false", 0},
        {"i in (7, 3.0, 0.5)", "true,false,nil,true,false", 0},
        {"i in (-7)", "false,true,nil,false,false", 0},
        {"f in (2, 0.5)", "true,false,false,nil,true", 0},
        {"d in ('2023-01-01', '2024-02-29')", "false,true,nil,false,true", 0},
        {"b in (true)", "true,false,nil,true,false", 0},
        {"not (s in ('THT'))", "true,false,nil,true,true", 0},
        {"s in ('HTX') and i > 0", "true,false,nil,false,false", 0},
        {"s in (1)", "expression 's in (1)': position 7: cannot apply 'in' "
                     "to string and int64", CS_ETYPE},
        {"i in (j)", "expression 'i in (j)': position 7: the items of 'in' "
                     "must be literals", CS_EPARSE},
    };
    (void)state;
    check_rows(FIXTURE, rows, N(rows));
}

static void test_expr_functions(void **state)
{
    static const row rows[] = {
        {"abs(i)", "7,7,nil,3,0", 0},
        {"abs(f)", "0.5,2.5,1.5,nil,2", 0},
        {"floor(f)", "0,-3,1,nil,2", 0},
        {"ceil(f)", "1,-2,2,nil,2", 0},
        {"floor(i)", "7,-7,nil,3,0", 0},
        {"round(f)", "1,-3,2,nil,2", 0},
        {"round(f * 1.2345, 2)", "0.62,-3.09,1.85,nil,2.47", 0},
        {"round(i * 125, -1)", "880,-880,nil,380,0", 0},
        {"round(i)", "7,-7,nil,3,0", 0},
        {"coalesce(i, j, 0)", "7,-7,2,3,0", 0},
        {"coalesce(n, f)", "0.5,-2.5,1.5,nil,2", 0},
        {"coalesce(s, 'none')", "HTX,THT,none,htx,HTX", 0},
        {"coalesce(s, lower(s), 'x')", "HTX,THT,x,htx,HTX", 0},
        {"coalesce(b, false)", "true,false,false,true,false", 0},
        {"coalesce(d, date('2000-01-01'))",
         "2018-05-01,2023-01-01,2000-01-01,2022-12-31,2024-02-29", 0},
        {"coalesce(i)", "7,-7,nil,3,0", 0},
        {"if(b, i, j)", "7,2,2,3,0", 0},
        {"if(b, s, 'x')", "HTX,x,x,htx,x", 0},
        {"if(b, s, lower(s))", "HTX,tht,nil,htx,htx", 0},
        {"if(i > 0, i, nil)", "7,nil,nil,3,nil", 0},
        {"if(i > 0, i, f)", "7,-2.5,1.5,3,2", 0},
        {"if(b, nil, d)", "nil,2023-01-01,nil,nil,2024-02-29", 0},
        {"year(d)", "2018,2023,nil,2022,2024", 0},
        {"month(d)", "5,1,nil,12,2", 0},
        {"day(d)", "1,1,nil,31,29", 0},
        {"year(d) >= 2023", "false,true,nil,false,true", 0},
        {"year(d) > 2022", "false,true,nil,false,true", 0},
        {"year(d) < 2023", "true,false,nil,true,false", 0},
        {"year(d) <= 2022", "true,false,nil,true,false", 0},
        {"2023 <= year(d)", "false,true,nil,false,true", 0},
        {"year(d) == 2023", "false,true,nil,false,false", 0},
        {"2022 == year(d)", "false,false,nil,true,false", 0},
        {"year(d) ~= 2023", "true,false,nil,true,true", 0},
        {"lower(s)", "htx,tht,nil,htx,htx", 0},
        {"upper(s) .. '!'", "HTX!,THT!,nil,HTX!,HTX!", 0},
        {"len(s)", "3,3,nil,3,3", 0},
        {"s .. '-' .. i", "HTX-7,THT--7,nil,htx-3,HTX-0", 0},
        {"d .. ''", "2018-05-01,2023-01-01,nil,2022-12-31,2024-02-29", 0},
    };
    (void)state;
    check_rows(FIXTURE, rows, N(rows));
}

static void test_expr_vietnamese_case_and_length(void **state)
{
    static const row rows[] = {
        {"lower(v)", "\xC4\x91\xC3\xA0 b\xE1\xBA\xAF" "c,"
                     "\xC4\x91\xC3\xA0 b\xE1\xBA\xAF" "c,"
                     "\xC6\xB0 \xC6\xA1 \xC4\x83 \xC3\xA2 \xC3\xAA \xC3\xB4,"
                     "l\xE1\xBA\xA1" "c s\xC6\xA1n", 0},
        {"upper(v)", "\xC4\x90\xC3\x80 B\xE1\xBA\xAE" "C,"
                     "\xC4\x90\xC3\x80 B\xE1\xBA\xAE" "C,"
                     "\xC6\xAF \xC6\xA0 \xC4\x82 \xC3\x82 \xC3\x8A \xC3\x94,"
                     "L\xE1\xBA\xA0" "C S\xC6\xA0N", 0},
        {"len(v)", "6,6,11,7", 0},
        {"lower(v) == lower(upper(v))", "true,true,true,true", 0},
        {"v == 'L\xE1\xBA\xA1" "c S\xC6\xA1n'", "false,false,false,true", 0},
        /* A decomposed literal is normalised before comparing. */
        {"v == 'La\xCC\xA3" "c S\xC6\xA1n'", "false,false,false,true", 0},
        {"len(v .. 'a\xCC\x80')", "7,7,12,8", 0},
    };
    (void)state;
    check_rows("v:s=\xC4\x90\xC3\x80 B\xE1\xBA\xAE" "C,"
               "\xC4\x91\xC3\xA0 b\xE1\xBA\xAF" "c,"
               "\xC6\xAF \xC6\xA0 \xC4\x82 \xC3\x82 \xC3\x8A \xC3\x94,"
               "L\xE1\xBA\xA1" "c S\xC6\xA1n",
               rows, N(rows));
}

static void test_expr_integer_overflow_is_an_error(void **state)
{
    static const row rows[] = {
        {"mx + 1", "expression 'mx + 1': integer overflow in '+' (row 2)",
         CS_EOVERFLOW},
        {"mn * -1", "expression 'mn * -1': integer overflow in '*' (row 2)",
         CS_EOVERFLOW},
        {"-mn", "expression '-mn': integer overflow in '-' (row 2)",
         CS_EOVERFLOW},
        {"abs(mn)", "expression 'abs(mn)': integer overflow in 'abs' (row 2)",
         CS_EOVERFLOW},
        {"mn - 1", "expression 'mn - 1': integer overflow in '-' (row 2)",
         CS_EOVERFLOW},
        {"mn // -1", "expression 'mn // -1': integer overflow in '//' "
                     "(row 2)", CS_EOVERFLOW},
        {"round(mx, -1)", "expression 'round(mx, -1)': integer overflow in "
                          "'round' (row 2)", CS_EOVERFLOW},
        {"floor(mx * 2.0)", "expression 'floor(mx * 2.0)': 'floor' of a "
                            "value outside the int64 range (row 2)",
         CS_EOVERFLOW},
        {"mn % -1", "0,0,nil", 0},
        {"mx - 1 + 1", "1,9223372036854775807,nil", 0},
        /* Null rows never overflow, whatever they hold. */
        {"z + 9223372036854775807", "9223372036854775807,nil,nil", 0},
        {"9223372036854775807 + 1", "expression '9223372036854775807 + 1': "
                                    "integer overflow in '+' (row 1)",
         CS_EOVERFLOW},
    };
    (void)state;
    check_rows("mx:i=1,9223372036854775807,;mn:i=1,-9223372036854775808,;"
               "z:i=0,,",
               rows, N(rows));
}

static void test_expr_compile_errors_name_position(void **state)
{
    static const row rows[] = {
        {"(i + 1", "expression '(i + 1': position 7: missing ')' to close "
                   "'(' at position 1", CS_EPARSE},
        {"abs(i", "expression 'abs(i': position 6: missing ')' to close "
                  "'(' at position 4", CS_EPARSE},
        {"s == 'abc", "expression 's == 'abc': position 6: unterminated "
                      "string", CS_EPARSE},
        {"foo(i)", "expression 'foo(i)': position 1: unknown function 'foo'",
         CS_ENOTFOUND},
        {"abs(i, j)", "expression 'abs(i, j)': position 1: 'abs' takes 1 "
                      "argument, got 2", CS_EPARSE},
        {"round()", "expression 'round()': position 1: 'round' takes at "
                    "least 1 argument, got 0", CS_EPARSE},
        {"if(b, 1)", "expression 'if(b, 1)': position 1: 'if' takes 3 "
                     "arguments, got 2", CS_EPARSE},
        {"membres > 3", "expression 'membres > 3': position 1: no column "
                        "'membres' (did you mean 'members'?)", CS_ENOTFOUND},
        {"1 + zzzzzz", "expression '1 + zzzzzz': position 5: no column "
                       "'zzzzzz'", CS_ENOTFOUND},
        {"s + 1", "expression 's + 1': position 3: cannot apply '+' to "
                  "string and int64", CS_ETYPE},
        {"`t\xC3\xAAn c\xE1\xBB\x99t` + 'x'",
         "expression '`t\xC3\xAAn c\xE1\xBB\x99t` + 'x'': position 11: "
         "cannot apply '+' to int64 and string", CS_ETYPE},
        {"i +", "expression 'i +': position 4: unexpected end of expression",
         CS_EPARSE},
        {"i = 1", "expression 'i = 1': position 3: unexpected '=' (compare "
                  "with '==')", CS_EPARSE},
        {"i i", "expression 'i i': position 3: unexpected 'i' after the "
                "expression", CS_EPARSE},
        {"d >= '2023-13-01'", "expression 'd >= '2023-13-01'': position 6: "
                              "'2023-13-01' is not a date (YYYY-MM-DD)",
         CS_EPARSE},
        {"99999999999999999999", "expression '99999999999999999999': "
                                 "position 1: integer literal too large for "
                                 "int64", CS_EPARSE},
        {"b < true", "expression 'b < true': position 3: cannot apply '<' to "
                     "bool and bool", CS_ETYPE},
        {"i < nil", "expression 'i < nil': position 3: cannot apply '<' to "
                    "int64 and nil", CS_ETYPE},
        {"nil", "expression 'nil': position 1: nil has no type", CS_ETYPE},
        {"`t\xC3\xAAn", "expression '`t\xC3\xAAn': position 1: unterminated "
                        "`name`", CS_EPARSE},
        {"if(i, 1, 2)", "expression 'if(i, 1, 2)': position 1: the condition "
                        "of 'if' is int64, not bool", CS_ETYPE},
        {"coalesce(i, s)", "expression 'coalesce(i, s)': position 1: cannot "
                           "apply 'coalesce' to int64 and string", CS_ETYPE},
        {"lower(i)", "expression 'lower(i)': position 1: cannot apply "
                     "'lower' to int64", CS_ETYPE},
        {"b .. 'x'", "expression 'b .. 'x'': position 3: cannot apply '..' "
                     "to bool and string", CS_ETYPE},
        {"i and b", "expression 'i and b': position 3: cannot apply 'and' to "
                    "int64 and bool", CS_ETYPE},
        {"'a\\q'", "expression ''a\\q'': position 3: invalid escape '\\q'",
         CS_EPARSE},
        {"12abc", "expression '12abc': position 1: malformed number",
         CS_EPARSE},
        {"round(f, i)", "expression 'round(f, i)': position 10: the digits "
                        "of 'round' must be an integer literal from -18 to "
                        "18", CS_ETYPE},
        {"date(s)", "expression 'date(s)': position 1: 'date' needs a string "
                    "literal", CS_ETYPE},
        {"i @ 2", "expression 'i @ 2': position 3: unexpected character '@'",
         CS_EPARSE},
        {"", "expression '': position 1: unexpected end of expression",
         CS_EPARSE},
        {"-s", "expression '-s': position 1: cannot apply unary '-' to "
               "string", CS_ETYPE},
        {"s == 'a\xFF'", "expression 's == 'a\xFF'': position 6: invalid "
                         "UTF-8", CS_EENCODING},
        {"x\xC3 + 1", "expression 'x\xC3 + 1': position 1: invalid UTF-8",
         CS_EENCODING},
    };
    (void)state;
    check_rows(FIXTURE, rows, N(rows));
}

static void test_expr_deep_nesting_is_refused(void **state)
{
    char text[2100], buf[600];
    size_t k;
    (void)state;
    for (k = 0; k < 1000; k++) text[k] = '(';
    text[1000] = '1';
    for (k = 0; k < 1000; k++) text[1001 + k] = ')';
    text[2001] = '\0';
    assert_int_equal(run_expr("x:i=1", text, buf, sizeof buf), CS_EPARSE);
    assert_non_null(strstr(buf, "too deeply nested"));
    for (k = 0; k + 2 < 2000; k += 2) memcpy(text + k, "1+", 2);
    text[k] = '1';
    text[k + 1] = '\0';
    assert_int_equal(run_expr("x:i=1", text, buf, sizeof buf), CS_EPARSE);
    assert_non_null(strstr(buf, "too deeply nested"));
}

static void test_expr_type_and_is_column(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *other;
    cs_expr *e;
    cs_column *col;
    size_t idx = 99;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(spec_dataset(eng, FIXTURE, &ds), CS_OK);
    assert_int_equal(cs_expr_compile(ds, "`t\xC3\xAAn c\xE1\xBB\x99t`", &e),
                     CS_OK);
    assert_true(cs_expr_is_column(e, &idx));
    assert_int_equal(idx, 7);
    assert_int_equal(cs_expr_type(e), CS_TYPE_I64);
    /* A bare column evaluates to the column itself, shared. */
    assert_int_equal(cs_expr_eval(e, ds, &col), CS_OK);
    assert_ptr_equal(col, cs_dataset_column(ds, 7));
    cs_column_release(col);
    cs_expr_free(e);
    assert_int_equal(cs_expr_compile(ds, "i / 2", &e), CS_OK);
    assert_false(cs_expr_is_column(e, &idx));
    assert_int_equal(cs_expr_type(e), CS_TYPE_F64);
    /* A dataset without the compiled columns is refused. */
    assert_int_equal(spec_dataset(eng, "j:i=1", &other), CS_OK);
    assert_int_equal(cs_expr_eval(e, other, &col), CS_EINVAL);
    assert_null(col);
    assert_non_null(strstr(cs_errmsg(eng), "'i'"));
    cs_dataset_free(other);
    assert_int_equal(spec_dataset(eng, "i:f=1", &other), CS_OK);
    assert_int_equal(cs_expr_eval(e, other, &col), CS_EINVAL);
    cs_dataset_free(other);
    cs_expr_free(e);
    cs_expr_free(NULL);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Many blocks through a view: values, string caches and nulls must
** line up across block edges. */
static void test_expr_eval_over_a_view_and_blocks(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *v;
    cs_column *x, *s, *col;
    cs_expr *e;
    uint32_t *pos;
    size_t i, n = 10000, m = 0;
    static const char *const names[] = {"H\xC3\x92" "A", "mai",
                                        "L\xE1\xBA\xA0" "C"};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &x), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &s), CS_OK);
    for (i = 0; i < n; i++) {
        assert_int_equal(i % 7 == 3 ? cs_column_push_null(x)
                                    : cs_column_push_i64(x, (int64_t)i),
                         CS_OK);
        assert_int_equal(cs_column_push_str(s, names[i % 3],
                                            strlen(names[i % 3])),
                         CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "s", s), CS_OK);
    pos = malloc(n * sizeof *pos);
    for (i = n; i-- > 0;)
        if (i % 2 == 0) pos[m++] = (uint32_t)i;   /* reversed, evens */
    assert_int_equal(cs__dataset_view(ds, pos, m, &v), CS_OK);
    assert_int_equal(cs_expr_compile(v, "if(x ~= nil, x * 3, -1) .. lower(s)",
                                     &e), CS_OK);
    assert_int_equal(cs_expr_eval(e, v, &col), CS_OK);
    assert_int_equal(cs_column_len(col), m);
    for (i = 0; i < m; i++) {
        cs_value val;
        char want[64];
        size_t r = pos[i];
        snprintf(want, sizeof want, "%lld%s",
                 r % 7 == 3 ? -1LL : (long long)r * 3,
                 r % 3 == 0 ? "h\xC3\xB2" "a" : r % 3 == 1 ? "mai"
                                                  : "l\xE1\xBA\xA1" "c");
        cs_column_get(col, i, &val);
        assert_int_equal(val.u.s.len, strlen(want));
        assert_memory_equal(val.u.s.p, want, val.u.s.len);
    }
    cs_column_release(col);
    cs_expr_free(e);
    /* Joining two strings: once per distinct pair, NFC at the seam. */
    assert_int_equal(cs_expr_compile(v, "s .. '\xCC\x80|' .. lower(s)", &e),
                     CS_OK);
    assert_int_equal(cs_expr_eval(e, v, &col), CS_OK);
    for (i = 0; i < m; i++) {
        static const char *const want[] = {
            "H\xC3\x92\xC3\x80|h\xC3\xB2" "a",
            "ma\xC3\xAC|mai",
            "L\xE1\xBA\xA0" "C\xCC\x80|l\xE1\xBA\xA1" "c"};
        cs_value val;
        cs_column_get(col, i, &val);
        assert_int_equal(val.u.s.len, strlen(want[pos[i] % 3]));
        assert_memory_equal(val.u.s.p, want[pos[i] % 3], val.u.s.len);
    }
    cs_column_release(col);
    cs_expr_free(e);
    /* Nulls of a view, and a bare column of a view is gathered. */
    assert_int_equal(cs_expr_compile(v, "x", &e), CS_OK);
    assert_int_equal(cs_expr_eval(e, v, &col), CS_OK);
    for (i = 0; i < m; i++)
        assert_int_equal(cs_column_is_null(col, i), pos[i] % 7 == 3);
    cs_column_release(col);
    cs_expr_free(e);
    assert_int_equal(cs_expr_compile(v, "x + 1", &e), CS_OK);
    assert_int_equal(cs_expr_eval(e, v, &col), CS_OK);
    for (i = 0; i < m; i++) {
        cs_value val;
        cs_column_get(col, i, &val);
        assert_int_equal(val.isnull, pos[i] % 7 == 3);
        if (!val.isnull) assert_int_equal(val.u.i, (int64_t)pos[i] + 1);
    }
    cs_column_release(col);
    /* Filtering many blocks with nulls keeps exactly the true rows. */
    {
        cs_expr *c;
        cs_sel *sel;
        size_t k = 0;
        assert_int_equal(cs_expr_compile(v, "x > 100 and x % 5 ~= 0", &c),
                         CS_OK);
        assert_int_equal(cs__expr_filter(c, v, &sel), CS_OK);
        for (i = 0; i < m; i++)
            if (pos[i] % 7 != 3 && pos[i] > 100 && pos[i] % 5 != 0) {
                assert_true(k < sel->n);
                assert_int_equal(sel->rows[k], pos[i]);
                k++;
            }
        assert_int_equal(k, sel->n);
        cs__sel_release(sel);
        cs_expr_free(c);
    }
    /* Interrupted evaluation stops with CS_EINTERRUPT. */
    cs_engine_interrupt(eng);
    assert_int_equal(cs_expr_eval(e, v, &col), CS_EINTERRUPT);
    assert_null(col);
    cs_engine_clear_interrupt(eng);
    cs_expr_free(e);
    free(pos);
    cs_column_release(x);
    cs_column_release(s);
    cs_dataset_free(v);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* year/month/day agree with cs_date_ymd over many centuries, at the
** ends of the int32 range (where a slower path takes over), and on
** every day from 1899 to 2101 (year() has a faster path for 1901 to
** 2099, which blocks that cross those ends must leave). */
static void test_expr_calendar_functions_match_date_ymd(void **state)
{
    cs_engine *eng;
    cs_dataset *ds;
    cs_column *d, *col;
    cs_expr *e;
    size_t i, n = 0;
    int32_t day;
    const int32_t ends[] = {INT32_MIN, INT32_MIN + 1, -12699423, -12699422,
                            1061042401, 1061042402, INT32_MAX};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    for (day = -1000000; day < 3000000; day += 173, n++)
        assert_int_equal(cs_column_push_date(d, day), CS_OK);
    for (day = cs_date_from_ymd(1899, 1, 1);
         day <= cs_date_from_ymd(2101, 12, 31); day++, n++)
        assert_int_equal(cs_column_push_date(d, day), CS_OK);
    for (i = 0; i < sizeof ends / sizeof ends[0]; i++, n++)
        assert_int_equal(cs_column_push_date(d, ends[i]), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "d", d), CS_OK);
    assert_int_equal(cs_expr_compile(ds, "(year(d) * 100 + month(d)) * 100 "
                                         "+ day(d)", &e), CS_OK);
    assert_int_equal(cs_expr_eval(e, ds, &col), CS_OK);
    for (i = 0; i < n; i++) {
        int y, m, dd;
        cs_value v;
        cs_column_get(d, i, &v);
        cs_date_ymd(v.u.d, &y, &m, &dd);
        cs_column_get(col, i, &v);
        assert_int_equal(v.u.i, ((int64_t)y * 100 + m) * 100 + dd);
    }
    cs_column_release(col);
    cs_expr_free(e);
    cs_column_release(d);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_expr_empty_dataset(void **state)
{
    static const row rows[] = {
        {"i + 1", "", 0},
        {"lower(s) .. i", "", 0},
        {"i > 0 and s == 'x'", "", 0},
    };
    (void)state;
    check_rows("i:i;s:s", rows, N(rows));
}

/* Compiling, evaluating (strings, caches, nulls) and filtering fail
** cleanly at every allocation. */
static void test_expr_oom_sweep(void **state)
{
    static const char *const exprs[] = {
        "lower(s) .. '-' .. i",
        "s in ('HTX', 'THT') and i // j > 0",
        "if(b, s, upper(s)) == 'HTX' or len(s) > 2",
        "coalesce(n, i, 0) + year(d)",
    };
    long n;
    size_t k;
    (void)state;
    for (k = 0; k < N(exprs); k++) {
        for (n = 1; n < 5000; n++) {
            tally t = {0, 0, 0, 0};
            cs_engine *eng;
            cs_dataset *ds = NULL;
            cs_expr *e = NULL;
            cs_column *col = NULL;
            cs_sel *sel = NULL;
            int rc;
            if (cs_engine_new(tally_alloc, &t, &eng)) continue;
            rc = spec_dataset(eng, FIXTURE, &ds);
            assert_int_equal(rc, CS_OK);
            t.fail_at = t.nalloc + n;
            rc = cs_expr_compile(ds, exprs[k], &e);
            if (!rc) rc = cs_expr_eval(e, ds, &col);
            if (!rc && cs_expr_type(e) == CS_TYPE_BOOL)
                rc = cs__expr_filter(e, ds, &sel);
            if (rc) assert_int_equal(rc, CS_ENOMEM);
            cs__sel_release(sel);
            cs_column_release(col);
            cs_expr_free(e);
            cs_dataset_free(ds);
            cs_engine_free(eng);
            assert_int_equal(t.live, 0);
            assert_true(t.bytes == 0);
            if (!rc) break;
        }
        assert_true(n > 3 && n < 5000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_arithmetic_and_null_propagation),
        cmocka_unit_test(test_expr_literals_and_lua_rules),
        cmocka_unit_test(test_expr_comparisons),
        cmocka_unit_test(test_expr_int_float_compare_is_exact),
        cmocka_unit_test(test_expr_kleene_logic),
        cmocka_unit_test(test_expr_in_lists),
        cmocka_unit_test(test_expr_functions),
        cmocka_unit_test(test_expr_vietnamese_case_and_length),
        cmocka_unit_test(test_expr_integer_overflow_is_an_error),
        cmocka_unit_test(test_expr_compile_errors_name_position),
        cmocka_unit_test(test_expr_deep_nesting_is_refused),
        cmocka_unit_test(test_expr_type_and_is_column),
        cmocka_unit_test(test_expr_eval_over_a_view_and_blocks),
        cmocka_unit_test(test_expr_calendar_functions_match_date_ymd),
        cmocka_unit_test(test_expr_empty_dataset),
        cmocka_unit_test(test_expr_oom_sweep),
    };
    return cmocka_run_group_tests_name("expr", tests, NULL, NULL);
}
