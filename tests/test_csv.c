/*
** test_csv.c: the CSV reader and writer.  Edge cases of the format are
** table-driven (input, options, expected names, types and cells); the
** rest covers files, encodings, round trips and an out-of-memory sweep.
** Run from the repository root (fixtures are in tests/data/csv/).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "coopstat.h"

#include "tally.h"

static cs_engine *new_engine(tally *t)
{
    cs_engine *eng;
    memset(t, 0, sizeof *t);
    assert_int_equal(cs_engine_new(tally_alloc, t, &eng), CS_OK);
    return eng;
}

static void free_engine(cs_engine *eng, tally *t)
{
    cs_engine_free(eng);
    assert_int_equal(t->live, 0);
    assert_int_equal(t->bytes, 0);
}

/* A cell as text: "<null>", or the value (floats in shortest form). */
static const char *cell(const cs_column *col, size_t row, char *buf,
                        size_t cap)
{
    cs_value v;
    int prec;
    cs_column_get(col, row, &v);
    if (v.isnull) return "<null>";
    switch (v.type) {
    case CS_TYPE_I64:
        snprintf(buf, cap, "%lld", (long long)v.u.i);
        break;
    case CS_TYPE_F64:
        for (prec = 15; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, v.u.f);
            if (strtod(buf, NULL) == v.u.f) break;
        }
        break;
    case CS_TYPE_STR:
        snprintf(buf, cap, "%.*s", (int)v.u.s.len, v.u.s.p);
        break;
    case CS_TYPE_BOOL:
        snprintf(buf, cap, "%s", v.u.b ? "true" : "false");
        break;
    case CS_TYPE_DATE:
        cs_date_format(v.u.d, buf);
        break;
    }
    return buf;
}

static char type_letter(cs_type t)
{
    switch (t) {
    case CS_TYPE_I64: return 'i';
    case CS_TYPE_F64: return 'f';
    case CS_TYPE_STR: return 's';
    case CS_TYPE_BOOL: return 'b';
    case CS_TYPE_DATE: return 'd';
    }
    return '?';
}

#define NUL_ "<null>"

typedef struct csv_case {
    const char *name;
    const char *input;
    size_t len;                 /* 0: strlen(input) */
    char sep, decimal, thousands;
    int noheader;
    int use_na;                 /* replace the NA list with na[0..nna) */
    const char *na[3];
    size_t nna;
    const char *date_format;
    const char *encoding;
    const char *schema_names[3];
    cs_type schema_types[3];
    size_t nschema;
    int rc;
    const char *msg;            /* a substring of the message */
    const char *names;          /* "a,b" */
    const char *types;          /* one letter per column */
    size_t nrows;
    const char *cells[16];      /* row-major */
} csv_case;

static const csv_case rfc_cases[] = {
    {.name = "empty file", .input = "", .names = "", .types = ""},
    {.name = "only blank lines", .input = "\n\r\n", .names = "",
     .types = ""},
    {.name = "header only", .input = "a,b\n", .names = "a,b",
     .types = "ss"},
    {.name = "header only, no newline", .input = "a,b", .names = "a,b",
     .types = "ss"},
    {.name = "one row", .input = "a,b,c\n1,x,2.5\n", .names = "a,b,c",
     .types = "isf", .nrows = 1, .cells = {"1", "x", "2.5"}},
    {.name = "BOM", .input = "\xEF\xBB\xBF" "a,b\n1,2\n", .names = "a,b",
     .types = "ii", .nrows = 1, .cells = {"1", "2"}},
    {.name = "CRLF", .input = "a,b\r\n1,x\r\n3,y\r\n", .names = "a,b",
     .types = "is", .nrows = 2, .cells = {"1", "x", "3", "y"}},
    {.name = "LF without final newline", .input = "a,b\n1,x\n3,y",
     .names = "a,b", .types = "is", .nrows = 2,
     .cells = {"1", "x", "3", "y"}},
    {.name = "CR at the very end", .input = "a,b\n1,x\r", .names = "a,b",
     .types = "is", .nrows = 1, .cells = {"1", "x"}},
    {.name = "doubled quotes",
     .input = "a,b\n\"he said \"\"hi\"\"\",\"\"\"\"\n",
     .names = "a,b", .types = "ss", .nrows = 1,
     .cells = {"he said \"hi\"", "\""}},
    {.name = "separators and newlines in quotes",
     .input = "a,b\n\"x,y\",\"line1\nline2\"\n\"p\r\nq\",z\n",
     .names = "a,b", .types = "ss", .nrows = 2,
     .cells = {"x,y", "line1\nline2", "p\r\nq", "z"}},
    {.name = "quoted field at end of input", .input = "a\n\"x\"",
     .names = "a", .types = "s", .nrows = 1, .cells = {"x"}},
    {.name = "bare quote in unquoted field is literal",
     .input = "a,b\nab\"c,5\"\n", .names = "a,b", .types = "ss",
     .nrows = 1, .cells = {"ab\"c", "5\""}},
    {.name = "lone CR is data", .input = "a,b\nx\ry,1\n", .names = "a,b",
     .types = "si", .nrows = 1, .cells = {"x\ry", "1"}},
};

static const csv_case malformed_cases[] = {
    {.name = "ragged row, too many fields",
     .input = "a,b\n1,2\n3,4,5\n", .rc = CS_EPARSE,
     .msg = "t.csv:3:1: row has 3 fields, header has 2"},
    {.name = "ragged row, too few fields",
     .input = "a,b,c\n1,2,3\n4,5\n", .rc = CS_EPARSE,
     .msg = "t.csv:3:1: row has 2 fields, header has 3"},
    {.name = "ragged row after a multi-line field",
     .input = "a,b\n\"x\ny\",2\n3\n", .rc = CS_EPARSE,
     .msg = "t.csv:4:1: row has 1 field, header has 2"},
    {.name = "blank line inside a wide file is ragged",
     .input = "a,b\n1,2\n\n3,4\n", .rc = CS_EPARSE,
     .msg = "t.csv:3:1: row has 1 field, header has 2"},
    {.name = "trailing blank lines are ignored",
     .input = "a,b\n1,2\n\n\r\n\n", .names = "a,b", .types = "ii",
     .nrows = 1, .cells = {"1", "2"}},
    {.name = "one column: blank line is null",
     .input = "x\n1\n\n2\n", .names = "x", .types = "i", .nrows = 3,
     .cells = {"1", NUL_, "2"}},
    {.name = "one column: only the last blank line is dropped",
     .input = "x\na\n\n\n", .names = "x", .types = "s", .nrows = 2,
     .cells = {"a", NUL_}},
    {.name = "unterminated quote", .input = "a,b\n1,\"abc\n2,3\n",
     .rc = CS_EPARSE, .msg = "t.csv:2:3: unterminated quoted field"},
    {.name = "text after closing quote", .input = "a,b\n\"ab\"c,1\n",
     .rc = CS_EPARSE, .msg = "t.csv:2:1: unexpected 'c' after the closing"},
    {.name = "invalid UTF-8", .input = "a,b\n1,x\xC3(\n",
     .rc = CS_EENCODING,
     .msg = "t.csv:2:3: invalid UTF-8 (byte 0xC3 at byte 2 of field 2, "
            "column 'b')"},
    {.name = "invalid UTF-8 in header", .input = "a,\xFF\n",
     .rc = CS_EENCODING, .msg = "t.csv:1:3: invalid UTF-8 (byte 0xFF"},
};

static const csv_case inference_cases[] = {
    {.name = "integer beyond int64 stays string",
     .input = "n,m\n9223372036854775807,-9223372036854775808\n"
              "9223372036854775808,1\n",
     .names = "n,m", .types = "si", .nrows = 2,
     .cells = {"9223372036854775807", "-9223372036854775808",
               "9223372036854775808", "1"}},
    {.name = "integer beyond int64 with an int64 schema",
     .input = "n\n1\n9223372036854775808\n",
     .schema_names = {"n"}, .schema_types = {CS_TYPE_I64}, .nschema = 1,
     .rc = CS_ETYPE,
     .msg = "t.csv:3:1: value '9223372036854775808' is not a valid int64 "
            "for column 'n'"},
    {.name = "big integer mixed with floats stays string",
     .input = "n\n1.5\n12345678901234567890\n", .names = "n", .types = "s",
     .nrows = 2, .cells = {"1.5", "12345678901234567890"}},
    {.name = "leading zeros stay string", .input = "z,y\n00412,0\n1,-0\n",
     .names = "z,y", .types = "si", .nrows = 2,
     .cells = {"00412", "0", "1", "0"}},
    {.name = "zero forms are numbers", .input = "z\n0\n-0\n0.5\n0e3\n",
     .names = "z", .types = "f", .nrows = 4,
     .cells = {"0", "0", "0.5", "0"}},
    {.name = "leading zero before decimal stays string",
     .input = "z\n01.5\n", .names = "z", .types = "s", .nrows = 1,
     .cells = {"01.5"}},
    {.name = "_code columns stay strings",
     .input = "tax_code,Province_CODE,n\n123,4,5\n", .names =
     "tax_code,Province_CODE,n", .types = "ssi", .nrows = 1,
     .cells = {"123", "4", "5"}},
    {.name = "schema overrides _code",
     .input = "tax_code\n123\n", .schema_names = {"tax_code"},
     .schema_types = {CS_TYPE_I64}, .nschema = 1, .names = "tax_code",
     .types = "i", .nrows = 1, .cells = {"123"}},
    {.name = "leading plus stays string", .input = "p\n+84912345678\n1\n",
     .names = "p", .types = "s", .nrows = 2,
     .cells = {"+84912345678", "1"}},
    {.name = "inf and nan stay strings", .input = "x,y\ninf,1.5\nnan,NaN\n",
     .names = "x,y", .types = "ss", .nrows = 2,
     .cells = {"inf", "1.5", "nan", "NaN"}},
    {.name = "mixed int and float is float",
     .input = "x\n1\n2.5\n1e300\n-3E-2\n.5\n7.\n", .names = "x",
     .types = "f", .nrows = 6,
     .cells = {"1", "2.5", "1e+300", "-0.03", "0.5", "7"}},
    {.name = "float overflow stays string", .input = "x\n1e400\n",
     .names = "x", .types = "s", .nrows = 1, .cells = {"1e400"}},
    {.name = "malformed numbers stay strings",
     .input = "a,b,c,d,e\n-,1e,.,1.2.3,1e+\n", .names = "a,b,c,d,e",
     .types = "sssss", .nrows = 1,
     .cells = {"-", "1e", ".", "1.2.3", "1e+"}},
    {.name = "long float goes through strtod",
     .input = "x\n0.1000000000000000000000000000001\n123456789012345678.5\n",
     .names = "x", .types = "f", .nrows = 2,
     .cells = {"0.1", "1.2345678901234568e+17"}},
    {.name = "spaces around a quoted number are data", .input = "x\n\" 1\"\n", .names = "x",
     .types = "s", .nrows = 1, .cells = {" 1"}},
    {.name = "bools", .input = "a,b,c\ntrue,TRUE,True\nfalse,FALSE,False\n",
     .names = "a,b,c", .types = "bbb", .nrows = 2,
     .cells = {"true", "true", "true", "false", "false", "false"}},
    {.name = "not bools", .input = "a,b,c\ntrue,tRUE,true\nyes,true,1\n",
     .names = "a,b,c", .types = "sss", .nrows = 2,
     .cells = {"true", "tRUE", "true", "yes", "true", "1"}},
    {.name = "ISO dates", .input = "d,e,f\n2024-02-29,2023-02-29,2024-01-05\n"
                                   "1970-01-01,2023-01-01,5\n",
     .names = "d,e,f", .types = "dss", .nrows = 2,
     .cells = {"2024-02-29", "2023-02-29", "2024-01-05", "1970-01-01",
               "2023-01-01", "5"}},
    {.name = "date format", .input = "d,e\n05/07/2023,2023-07-05\n"
                                     "31/12/2024,2024-12-31\n",
     .date_format = "%d/%m/%Y", .names = "d,e", .types = "ds", .nrows = 2,
     .cells = {"2023-07-05", "2023-07-05", "2024-12-31", "2024-12-31"}},
    {.name = "date format with a date schema and a bad date",
     .input = "d\n05/07/2023\n31/02/2024\n", .date_format = "%d/%m/%Y",
     .schema_names = {"d"}, .schema_types = {CS_TYPE_DATE}, .nschema = 1,
     .rc = CS_ETYPE,
     .msg = "t.csv:3:1: value '31/02/2024' is not a valid date for column "
            "'d'"},
};

static const csv_case null_cases[] = {
    {.name = "all-null column is string, NA is null",
     .input = "a,b,c\n1,,NA\n2,NA,\n", .names = "a,b,c", .types = "iss",
     .nrows = 2, .cells = {"1", NUL_, NUL_, "2", NUL_, NUL_}},
    {.name = "quoted NA and quoted empty are strings",
     .input = "a,b\n\"NA\",\"\"\nNA,\n", .names = "a,b", .types = "ss",
     .nrows = 2, .cells = {"NA", "", NUL_, NUL_}},
    {.name = "quoted empty makes a number column string",
     .input = "a\n1\n\"\"\n", .names = "a", .types = "s", .nrows = 2,
     .cells = {"1", ""}},
    {.name = "custom NA list replaces NA",
     .input = "a,b\n-,NA\nn/a,1\n", .use_na = 1, .na = {"-", "n/a"},
     .nna = 2, .names = "a,b", .types = "ss", .nrows = 2,
     .cells = {NUL_, "NA", NUL_, "1"}},
    {.name = "empty NA list keeps only empty fields null",
     .input = "a\nNA\n\n", .use_na = 1, .nna = 0, .names = "a",
     .types = "s", .nrows = 1, .cells = {"NA"}},
    {.name = "quoted numbers are numbers", .input = "a,b\n\"12\",\"1.5\"\n",
     .names = "a,b", .types = "if", .nrows = 1, .cells = {"12", "1.5"}},
};

static const csv_case locale_cases[] = {
    {.name = "Vietnamese numbers",
     .input = "ten;so_tien;ty_le;sai\nA;1.300.000;4,4;1.30.000\n"
              "B;25.000;0,5;12\nC;-7;1.234,5;3\n",
     .decimal = ',', .thousands = '.', .names = "ten,so_tien,ty_le,sai",
     .types = "sifs", .nrows = 3,
     .cells = {"A", "1300000", "4.4", "1.30.000", "B", "25000", "0.5", "12",
               "C", "-7", "1234.5", "3"}},
    {.name = "bad grouping is a type error under a schema",
     .input = "n\n1.300.000\n1.3000\n", .decimal = ',', .thousands = '.',
     .schema_names = {"n"}, .schema_types = {CS_TYPE_I64}, .nschema = 1,
     .rc = CS_ETYPE, .msg = "t.csv:3:1: value '1.3000' is not a valid "
                            "int64 for column 'n'"},
    {.name = "thousands comma and space",
     .input = "a|b\n\"1,234\"|1 234 567\n", .sep = '|', .thousands = ' ',
     .names = "a,b", .types = "si", .nrows = 1,
     .cells = {"1,234", "1234567"}},
    {.name = "decimal comma inside quotes with comma separator",
     .input = "a,b\n\"4,5\",1\n", .decimal = ',', .names = "a,b",
     .types = "fi", .nrows = 1, .cells = {"4.5", "1"}},
};

static const csv_case schema_cases[] = {
    {.name = "schema override",
     .input = "a,b,c\n1,2,x\n", .schema_names = {"a", "b"},
     .schema_types = {CS_TYPE_STR, CS_TYPE_F64}, .nschema = 2,
     .names = "a,b,c", .types = "sfs", .nrows = 1,
     .cells = {"1", "2", "x"}},
    {.name = "schema type error",
     .input = "name,members\nx,12\ny,abc\n", .schema_names = {"members"},
     .schema_types = {CS_TYPE_I64}, .nschema = 1, .rc = CS_ETYPE,
     .msg = "t.csv:3:3: value 'abc' is not a valid int64 for column "
            "'members'"},
    {.name = "int64 schema rejects floats",
     .input = "n\n3.0\n", .schema_names = {"n"},
     .schema_types = {CS_TYPE_I64}, .nschema = 1, .rc = CS_ETYPE,
     .msg = "value '3.0' is not a valid int64"},
    {.name = "bool schema error",
     .input = "b\ntrue\nyes\n", .schema_names = {"b"},
     .schema_types = {CS_TYPE_BOOL}, .nschema = 1, .rc = CS_ETYPE,
     .msg = "t.csv:3:1: value 'yes' is not a valid bool for column 'b'"},
    {.name = "float64 schema takes NaN, Inf and big integers",
     .input = "x\nNaN\n-Inf\ninf\n1\n12345678901234567890\n",
     .schema_names = {"x"}, .schema_types = {CS_TYPE_F64}, .nschema = 1,
     .names = "x", .types = "f", .nrows = 5,
     .cells = {"nan", "-inf", "inf", "1", "1.2345678901234567e+19"}},
    {.name = "schema name not in header",
     .input = "a\n1\n", .schema_names = {"nope"},
     .schema_types = {CS_TYPE_I64}, .nschema = 1, .rc = CS_EINVAL,
     .msg = "option 'schema': t.csv has no column 'nope'"},
    {.name = "header only takes the schema types",
     .input = "a,b,c\n", .schema_names = {"c", "a"},
     .schema_types = {CS_TYPE_DATE, CS_TYPE_I64}, .nschema = 2,
     .names = "a,b,c", .types = "isd"},
    {.name = "schema with an invalid type",
     .input = "a\n1\n", .schema_names = {"a"}, .schema_types = {99},
     .nschema = 1, .rc = CS_EINVAL,
     .msg = "option 'schema_types': invalid type 99 for column 'a'"},
    {.name = "schema naming a column twice",
     .input = "a\n1\n", .schema_names = {"a", "a"},
     .schema_types = {CS_TYPE_I64, CS_TYPE_STR}, .nschema = 2,
     .rc = CS_EINVAL, .msg = "column 'a' is given twice"},
    {.name = "schema on columns without a header",
     .input = "1,2\n", .noheader = 1, .schema_names = {"V2"},
     .schema_types = {CS_TYPE_F64}, .nschema = 1, .names = "V1,V2",
     .types = "if", .nrows = 1, .cells = {"1", "2"}},
    {.name = "schema names are NFC-matched",
     .input = "L\xE1\xBA\xA1" "c\n1\n", .schema_names = {"La\xCC\xA3" "c"},
     .schema_types = {CS_TYPE_STR}, .nschema = 1,
     .names = "L\xE1\xBA\xA1" "c", .types = "s", .nrows = 1,
     .cells = {"1"}},
};

static const csv_case sep_cases[] = {
    {.name = "separator detection: semicolon", .input = "a;b;c\n1;2,5;3\n",
     .names = "a,b,c", .types = "isi", .nrows = 1,
     .cells = {"1", "2,5", "3"}},
    {.name = "separator detection: tab", .input = "a\tb\n1\tx y\n",
     .names = "a,b", .types = "is", .nrows = 1, .cells = {"1", "x y"}},
    {.name = "separator detection: pipe", .input = "a|b\n1|2\n",
     .names = "a,b", .types = "ii", .nrows = 1, .cells = {"1", "2"}},
    {.name = "separator detection ignores quoted text and ties go to comma",
     .input = "\"x;y;z\",b;c\n1,2;3\n", .names = "x;y;z,b;c",
     .types = "is", .nrows = 1, .cells = {"1", "2;3"}},
    {.name = "given separator", .input = "a,b;c\n1,2;3\n", .sep = ';',
     .names = "a,b,c", .types = "si", .nrows = 1,
     .cells = {"1,2", "3"}},
};

static const csv_case header_cases[] = {
    {.name = "no header", .input = "1,x\n2,y\n", .noheader = 1,
     .names = "V1,V2", .types = "is", .nrows = 2,
     .cells = {"1", "x", "2", "y"}},
    {.name = "no header, ragged", .input = "1,x\n2\n", .noheader = 1,
     .rc = CS_EPARSE, .msg = "t.csv:2:1: row has 1 field, first row has 2"},
    {.name = "duplicate header", .input = "a,b,a\n1,2,3\n", .rc = CS_EPARSE,
     .msg = "t.csv:1:5: duplicate column name 'a'"},
    {.name = "duplicate header after NFC and trimming",
     .input = "L\xE1\xBA\xA1" "c, La\xCC\xA3" "c\n", .rc = CS_EPARSE,
     .msg = "duplicate column name 'L\xE1\xBA\xA1" "c'"},
    {.name = "empty header names are V<position> (Excel's trailing separators)",
     .input = "a, ,c,\r\n1,2,3,\r\n4,5,6,\r\n", .names = "a,V2,c,V4", .types = "iiis",
     .nrows = 2, .cells = {"1", "2", "3", NUL_, "4", "5", "6", NUL_}},
    {.name = "an empty header name whose V name is taken", .input = "V2,\n1,2\n",
     .rc = CS_EPARSE, .msg = "t.csv:1:4: duplicate column name 'V2'"},
    {.name = "header names are trimmed, data is not",
     .input = " a ,\" b\"\n x ,\" y \"\n", .names = "a,b", .types = "ss",
     .nrows = 1, .cells = {" x ", " y "}},
    {.name = "numbers, bools and dates typed with spaces around them",
     .input = "i,f,b,d,s\n 12 , -1.5,true ,  2023-06-30 , x \n3 ,2 , false,2024-02-29,y\n",
     .names = "i,f,b,d,s", .types = "ifbds", .nrows = 2,
     .cells = {"12", "-1.5", "true", "2023-06-30", " x ", "3", "2", "false", "2024-02-29",
               "y"}},
    {.name = "a quoted field keeps its spaces out of numbers", .input = "a,b\n\" 1\",2\n3,4\n",
     .names = "a,b", .types = "si", .nrows = 2, .cells = {" 1", "2", "3", "4"}},
    {.name = "only spaces is text, not a number or null", .input = "a\n  \n1\n",
     .names = "a", .types = "s", .nrows = 2, .cells = {"  ", "1"}},
    {.name = "spaces inside a number still make text", .input = "a\n1 2\n3\n",
     .names = "a", .types = "s", .nrows = 2, .cells = {"1 2", "3"}},
};

static const csv_case option_cases[] = {
    {.name = "bad separator option", .input = "a\n", .sep = 'x',
     .rc = CS_EINVAL, .msg = "option 'sep'"},
    {.name = "bad decimal option", .input = "a\n", .decimal = ';',
     .rc = CS_EINVAL, .msg = "option 'decimal'"},
    {.name = "thousands equal to decimal", .input = "a\n", .thousands = '.',
     .rc = CS_EINVAL, .msg = "option 'thousands'"},
    {.name = "thousands equal to detected separator",
     .input = "a,b\n1,2\n", .thousands = ',', .rc = CS_EINVAL,
     .msg = "option 'thousands': ',' is also the separator (detected)"},
    {.name = "unknown encoding", .input = "a\n", .encoding = "latin9",
     .rc = CS_EINVAL, .msg = "option 'encoding': unknown encoding 'latin9'"},
};

static const csv_case encoding_cases[] = {
    {.name = "utf-8 encoding names", .input = "a\nx\n", .encoding = "UTF-8",
     .names = "a", .types = "s", .nrows = 1, .cells = {"x"}},
    {.name = "cp1258",
     .input = "t\xEAn,n\nLa\xF2" "c S\xF5n,1\nVi\xEA\xF2t,2\n",
     .encoding = "CP1258", .names = "t\xC3\xAAn,n", .types = "si",
     .nrows = 2,
     .cells = {"L\xE1\xBA\xA1" "c S\xC6\xA1n", "1",
               "Vi\xE1\xBB\x87t", "2"}},
    {.name = "cp1258 invalid byte", .input = "a\nok\nx\x81y\n",
     .encoding = "cp1258", .rc = CS_EENCODING,
     .msg = "t.csv:3:2: byte 0x81 is not valid cp1258"},
    {.name = "tcvn3", .input = "ten\nL\xB9" "c S\xAC" "n\nVi\xD6t\n",
     .encoding = "tcvn3", .names = "ten", .types = "s", .nrows = 2,
     .cells = {"L\xE1\xBA\xA1" "c S\xC6\xA1n", "Vi\xE1\xBB\x87t"}},
    /* Excel's "Unicode text": UTF-16 with a byte order mark, tabs. */
    {.name = "utf-16le with a byte order mark, no encoding given",
     .input = "\xFF\xFEt\x00\xEA\x00n\x00\x09\x00n\x00\x0D\x00\x0A\x00L\x00\xA1\x1E" "c\x00 \x00S\x00\xA1\x01n\x00\x09\x00" "1\x00\x0D\x00\x0A\x00", .len = 38,
     .names = "t\xC3\xAAn,n", .types = "si", .nrows = 1,
     .cells = {"L\xE1\xBA\xA1" "c S\xC6\xA1n", "1"}},
    {.name = "utf-16be with a byte order mark, no encoding given",
     .input = "\xFE\xFF\x00t\x00\xEA\x00n\x00\x09\x00n\x00\x0D\x00\x0A\x00L\x1E\xA1\x00" "c\x00 \x00S\x01\xA1\x00n\x00\x09\x00" "1\x00\x0D\x00\x0A", .len = 38,
     .names = "t\xC3\xAAn,n", .types = "si", .nrows = 1,
     .cells = {"L\xE1\xBA\xA1" "c S\xC6\xA1n", "1"}},
    {.name = "utf-16le without a byte order mark, encoding given",
     .input = "t\x00\xEA\x00n\x00\x09\x00n\x00\x0D\x00\x0A\x00L\x00\xA1\x1E" "c\x00 \x00S\x00\xA1\x01n\x00\x09\x00" "1\x00\x0D\x00\x0A\x00", .len = 36, .encoding = "UTF-16LE",
     .names = "t\xC3\xAAn,n", .types = "si", .nrows = 1,
     .cells = {"L\xE1\xBA\xA1" "c S\xC6\xA1n", "1"}},
    {.name = "utf-16 without a byte order mark and no encoding: a clear error",
     .input = "t\x00\xEA\x00n\x00\x09\x00n\x00\x0D\x00\x0A\x00L\x00\xA1\x1E" "c\x00 \x00S\x00\xA1\x01n\x00\x09\x00" "1\x00\x0D\x00\x0A\x00", .len = 36, .rc = CS_EENCODING,
     .msg = "t.csv: the file looks like UTF-16 without a byte order mark"},
    {.name = "utf-16 cut in the middle of a character",
     .input = "\xFF\xFEt\x00\xEA\x00n\x00\x09\x00n\x00\x0D\x00\x0A\x00L\x00\xA1\x1E" "c\x00 \x00S\x00\xA1\x01n\x00\x09\x00" "1\x00\x0D\x00\x0A\x00", .len = 37, .rc = CS_EENCODING,
     .msg = "incomplete utf-16 character at the end of the input"},
    {.name = "NUL byte in data", .input = "a,b\nx\0y,1\n", .len = 10,
     .names = "a,b", .types = "si", .nrows = 1, .cells = {"x", "1"}},
};

static void run_case(const csv_case *c)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_csv_options opt;
    cs_dataset *ds = (cs_dataset *)&t; /* must be reset to NULL on error */
    size_t len = c->len ? c->len : strlen(c->input), i, r, ncols;
    int rc;
    char names[256], buf[256];

    cs_csv_options_init(&opt);
    opt.sep = c->sep;
    if (c->decimal) opt.decimal = c->decimal;
    opt.thousands = c->thousands;
    opt.header = !c->noheader;
    if (c->use_na) {
        opt.na = c->na;
        opt.nna = c->nna;
    }
    opt.date_format = c->date_format;
    opt.encoding = c->encoding;
    if (c->nschema) {
        opt.schema_names = c->schema_names;
        opt.schema_types = c->schema_types;
        opt.nschema = c->nschema;
    }
    rc = cs_csv_read_buffer(eng, c->input, len, "t.csv", &opt, &ds);
    if (rc != c->rc)
        fail_msg("case '%s': rc %d (%s), expected %d", c->name, rc,
                 cs_errmsg(eng), c->rc);
    if (rc != CS_OK) {
        if (ds != NULL) fail_msg("case '%s': *out not NULL", c->name);
        if (!strstr(cs_errmsg(eng), c->msg))
            fail_msg("case '%s': message '%s' lacks '%s'", c->name,
                     cs_errmsg(eng), c->msg);
        free_engine(eng, &t);
        return;
    }
    ncols = cs_dataset_ncols(ds);
    names[0] = '\0';
    for (i = 0; i < ncols; i++) {
        if (i) strcat(names, ",");
        strcat(names, cs_dataset_colname(ds, i));
    }
    if (strcmp(names, c->names) != 0)
        fail_msg("case '%s': names '%s', expected '%s'", c->name, names,
                 c->names);
    for (i = 0; i < ncols; i++)
        buf[i] = type_letter(cs_column_type(cs_dataset_column(ds, i)));
    buf[ncols] = '\0';
    if (strcmp(buf, c->types) != 0)
        fail_msg("case '%s': types '%s', expected '%s'", c->name, buf,
                 c->types);
    if (cs_dataset_nrows(ds) != c->nrows)
        fail_msg("case '%s': %zu rows, expected %zu", c->name,
                 cs_dataset_nrows(ds), c->nrows);
    for (r = 0; r < c->nrows; r++)
        for (i = 0; i < ncols; i++) {
            const char *want = c->cells[r * ncols + i];
            const char *got = cell(cs_dataset_column(ds, i), r, buf,
                                   sizeof buf);
            if (!want || strcmp(got, want) != 0)
                fail_msg("case '%s': row %zu col %zu is '%s', expected "
                         "'%s'", c->name, r, i, got, want ? want : "?");
        }
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

#define RUN_CASES(arr)                                                  \
    do {                                                                \
        size_t i_;                                                      \
        (void)state;                                                    \
        for (i_ = 0; i_ < sizeof arr / sizeof arr[0]; i_++)             \
            run_case(&arr[i_]);                                         \
    } while (0)

static void test_csv_rfc4180_structure(void **state)
{
    RUN_CASES(rfc_cases);
}

static void test_csv_malformed_input_errors_name_line_and_column(void **state)
{
    RUN_CASES(malformed_cases);
}

static void test_csv_type_inference(void **state)
{
    RUN_CASES(inference_cases);
}

static void test_csv_nulls_and_na_markers(void **state)
{
    RUN_CASES(null_cases);
}

static void test_csv_vietnamese_locale_numbers(void **state)
{
    RUN_CASES(locale_cases);
}

static void test_csv_schema_overrides_and_type_errors(void **state)
{
    RUN_CASES(schema_cases);
}

static void test_csv_separator_detection(void **state)
{
    RUN_CASES(sep_cases);
}

static void test_csv_header_names(void **state)
{
    RUN_CASES(header_cases);
}

static void test_csv_bad_options_are_einval(void **state)
{
    RUN_CASES(option_cases);
}

static void test_csv_legacy_encodings(void **state)
{
    RUN_CASES(encoding_cases);
}

static void test_csv_options_init_defaults(void **state)
{
    cs_csv_options o;
    cs_csv_write_options w;
    (void)state;
    memset(&o, 0x55, sizeof o);
    cs_csv_options_init(&o);
    assert_int_equal(o.sep, 0);
    assert_int_equal(o.decimal, '.');
    assert_int_equal(o.thousands, 0);
    assert_int_equal(o.header, 1);
    assert_null(o.na);
    assert_int_equal(o.nna, 0);
    assert_null(o.date_format);
    assert_null(o.encoding);
    assert_null(o.schema_names);
    assert_null(o.schema_types);
    assert_int_equal(o.nschema, 0);
    memset(&w, 0x55, sizeof w);
    cs_csv_write_options_init(&w);
    assert_int_equal(w.sep, ',');
    assert_int_equal(w.decimal, '.');
    assert_int_equal(w.bom, 0);
    assert_int_equal(w.crlf, 0);
    assert_int_equal(w.header, 1);
}

static void test_csv_megabyte_field(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    size_t n = 1000000, i, len = 0;
    char *in = malloc(2 * n + 64);
    cs_dataset *ds;
    cs_value v;
    (void)state;
    assert_non_null(in);
    len += (size_t)sprintf(in, "a,b\n1,\"");
    for (i = 0; i < n; i++) {
        /* Every 1000th character is a doubled quote. */
        if (i % 1000 == 999) {
            in[len++] = '"';
            in[len++] = '"';
        } else {
            in[len++] = (char)('a' + i % 26);
        }
    }
    len += (size_t)sprintf(in + len, "\"\n");
    assert_int_equal(cs_csv_read_buffer(eng, in, len, "big", NULL, &ds),
                     CS_OK);
    cs_column_get(cs_dataset_column(ds, 1), 0, &v);
    assert_int_equal(v.u.s.len, n);
    assert_int_equal(v.u.s.p[998], 'a' + 998 % 26);
    assert_int_equal(v.u.s.p[999], '"');
    cs_dataset_free(ds);
    /* Unquoted, too. */
    len = (size_t)sprintf(in, "a\n");
    memset(in + len, 'x', n);
    len += n;
    assert_int_equal(cs_csv_read_buffer(eng, in, len, "big", NULL, &ds),
                     CS_OK);
    cs_column_get(cs_dataset_column(ds, 0), 0, &v);
    assert_int_equal(v.u.s.len, n);
    cs_dataset_free(ds);
    free(in);
    free_engine(eng, &t);
}

/* A column's type can change at its last row: values stored before the
** change are converted (int64 to float64) or read again (anything to
** string), and leading nulls precede the first value in every case. */
static void test_csv_type_changes_late_in_the_file(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    size_t n = 20000, i, len = 0;
    char *in = malloc(n * 64 + 64);
    cs_dataset *ds;
    cs_value v;
    (void)state;
    assert_non_null(in);
    len += (size_t)sprintf(in, "i_to_s,i_to_f,nulls_then_d,d_to_s,b_to_s,i\n");
    for (i = 0; i < n; i++) {
        int last = i == n - 1;
        len += (size_t)sprintf(in + len, "%s,%s,%s,%s,%s,%zu\n",
                               last ? "x" : "12",
                               last ? "0.5" : "9007199254740993",
                               i < n / 2 ? "" : "2023-06-30",
                               last ? "2023-02-30" : "2023-01-01",
                               last ? "yes" : "true", i);
    }
    assert_int_equal(cs_csv_read_buffer(eng, in, len, "late", NULL, &ds),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(ds), n);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 0)), CS_TYPE_STR);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 1)), CS_TYPE_F64);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 2)), CS_TYPE_DATE);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 3)), CS_TYPE_STR);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 4)), CS_TYPE_STR);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 5)), CS_TYPE_I64);
    cs_column_get(cs_dataset_column(ds, 0), 0, &v);
    assert_string_equal(v.u.s.p, "12");
    cs_column_get(cs_dataset_column(ds, 0), n - 1, &v);
    assert_string_equal(v.u.s.p, "x");
    /* 2^53 + 1 becomes the double strtod would give: 2^53. */
    cs_column_get(cs_dataset_column(ds, 1), 0, &v);
    assert_true(v.u.f == 9007199254740992.0);
    cs_column_get(cs_dataset_column(ds, 1), n - 1, &v);
    assert_true(v.u.f == 0.5);
    assert_int_equal(cs_column_nulls(cs_dataset_column(ds, 2)), n / 2);
    assert_true(cs_column_is_null(cs_dataset_column(ds, 2), n / 2 - 1));
    assert_false(cs_column_is_null(cs_dataset_column(ds, 2), n / 2));
    cs_column_get(cs_dataset_column(ds, 3), 5, &v);
    assert_string_equal(v.u.s.p, "2023-01-01");
    cs_column_get(cs_dataset_column(ds, 4), 5, &v);
    assert_string_equal(v.u.s.p, "true");
    cs_column_get(cs_dataset_column(ds, 5), n - 1, &v);
    assert_int_equal(v.u.i, (int64_t)(n - 1));
    cs_dataset_free(ds);
    free(in);
    free_engine(eng, &t);
}

static void test_csv_nfc_gives_one_dictionary_code(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds;
    const cs_column *c;
    const uint32_t *codes;
    size_t len;
    const char *s;
    /* Decomposed (a + U+0323, o + U+031B) then composed "Lạc Sơn". */
    static const char in[] = "huyen\n"
                             "La\xCC\xA3" "c So\xCC\x9Bn\n"
                             "L\xE1\xBA\xA1" "c S\xC6\xA1n\n";
    (void)state;
    assert_int_equal(cs_csv_read_buffer(eng, in, sizeof in - 1, "nfc", NULL,
                                        &ds), CS_OK);
    c = cs_dataset_column(ds, 0);
    codes = cs_column_codes(c);
    assert_int_equal(cs_dataset_nrows(ds), 2);
    assert_int_equal(codes[0], codes[1]);
    assert_int_equal(cs_column_dict_size(c), 1);
    s = cs_column_dict_str(c, codes[0], &len);
    assert_int_equal(len, 10);
    assert_memory_equal(s, "L\xE1\xBA\xA1" "c S\xC6\xA1n", 10);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_reads_a_file(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds;
    char buf[128];
    static const char *const types = "sssifdbs";
    size_t i;
    (void)state;
    assert_int_equal(cs_csv_read(eng, "tests/data/csv/coops.csv", NULL, &ds),
                     CS_OK);
    assert_int_equal(cs_dataset_ncols(ds), 8);
    assert_int_equal(cs_dataset_nrows(ds), 3);
    for (i = 0; i < 8; i++)
        assert_int_equal(type_letter(cs_column_type(cs_dataset_column(ds, i))),
                         types[i]);
    assert_string_equal(cell(cs_dataset_get(ds, "ten"), 1, buf, sizeof buf),
                        "HTX Dịch vụ \"Mai Châu\"");
    assert_string_equal(cell(cs_dataset_get(ds, "ten"), 2, buf, sizeof buf),
                        "HTX Chè, Cao Phong");
    assert_string_equal(cell(cs_dataset_get(ds, "thanh_vien"), 2, buf,
                             sizeof buf), NUL_);
    assert_string_equal(cell(cs_dataset_get(ds, "von"), 0, buf, sizeof buf),
                        "1500000000.5");
    assert_string_equal(cell(cs_dataset_get(ds, "tax_code"), 0, buf,
                             sizeof buf), "5400123456");
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_reads_legacy_encoded_files(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_csv_options opt;
    cs_dataset *ds;
    char buf[128];
    (void)state;
    cs_csv_options_init(&opt);
    opt.encoding = "tcvn3";
    opt.decimal = ',';
    opt.thousands = '.';
    assert_int_equal(cs_csv_read(eng, "tests/data/csv/tcvn3.csv", &opt, &ds),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(ds), 2);
    assert_string_equal(cell(cs_dataset_get(ds, "ten"), 0, buf, sizeof buf),
                        "HTX Lạc Sơn");
    assert_string_equal(cell(cs_dataset_get(ds, "ten"), 1, buf, sizeof buf),
                        "HTX Việt");
    assert_int_equal(cs_column_type(cs_dataset_get(ds, "von")), CS_TYPE_F64);
    assert_string_equal(cell(cs_dataset_get(ds, "von"), 0, buf, sizeof buf),
                        "1500.5");
    cs_dataset_free(ds);
    opt.encoding = "cp1258";
    assert_int_equal(cs_csv_read(eng, "tests/data/csv/cp1258.csv", &opt, &ds),
                     CS_OK);
    assert_string_equal(cell(cs_dataset_get(ds, "ten"), 0, buf, sizeof buf),
                        "HTX Lạc Sơn");
    assert_int_equal(cs_column_type(cs_dataset_get(ds, "thanh_vien")),
                     CS_TYPE_I64);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_missing_file_is_not_found(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds = (cs_dataset *)&t;
    (void)state;
    assert_int_equal(cs_csv_read(eng, "tests/data/csv/nope.csv", NULL, &ds),
                     CS_ENOTFOUND);
    assert_null(ds);
    assert_non_null(strstr(cs_errmsg(eng), "tests/data/csv/nope.csv"));
    /* A directory is an I/O error. */
    assert_int_equal(cs_csv_read(eng, "tests/data/csv", NULL, &ds), CS_EIO);
    assert_null(ds);
    /* Errors in a file name the file. */
    {
        char dir[] = "/tmp/cs_csv_XXXXXX", path[64];
        FILE *f;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/bad.csv", dir);
        f = fopen(path, "wb");
        assert_non_null(f);
        fputs("a,b\n1,2\n3\n", f);
        fclose(f);
        assert_int_equal(cs_csv_read(eng, path, NULL, &ds), CS_EPARSE);
        assert_null(ds);
        assert_non_null(strstr(cs_errmsg(eng), ":3:1: row has 1 field"));
        assert_memory_equal(cs_errmsg(eng), path, strlen(path));
        /* An empty file is an empty dataset. */
        f = fopen(path, "wb");
        fclose(f);
        assert_int_equal(cs_csv_read(eng, path, NULL, &ds), CS_OK);
        assert_int_equal(cs_dataset_ncols(ds), 0);
        assert_int_equal(cs_dataset_nrows(ds), 0);
        cs_dataset_free(ds);
        unlink(path);
        rmdir(dir);
    }
    free_engine(eng, &t);
}

/* A mapped file that ends exactly at a page end, without a newline, in
** the middle of a number: nothing may read past the mapping. */
static void test_csv_file_ending_at_a_page_boundary(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds;
    char dir[] = "/tmp/cs_csv_XXXXXX", path[64];
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0, rows = 0;
    FILE *f;
    cs_value v;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/page.csv", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    n += (size_t)fprintf(f, "x\n");
    while (n + 16 <= 2 * page) {
        n += (size_t)fprintf(f, "1234567.5\n");
        rows++;
    }
    while (n < 2 * page - 1) {
        fputc('9', f);
        n++;
    }
    fputc('1', f);
    fclose(f);
    assert_int_equal(cs_csv_read(eng, path, NULL, &ds), CS_OK);
    assert_int_equal(cs_dataset_nrows(ds), rows + 1);
    cs_column_get(cs_dataset_column(ds, 0), rows, &v);
    assert_int_equal(v.type, CS_TYPE_F64);
    assert_true(v.u.f > 9e5);
    cs_dataset_free(ds);
    unlink(path);
    rmdir(dir);
    free_engine(eng, &t);
}

static void test_csv_reads_a_pipe(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds;
    int fds[2];
    char path[64];
    static const char in[] = "a,b\n1,x\n2,y\n";
    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], in, sizeof in - 1), (long)(sizeof in - 1));
    close(fds[1]);
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    assert_int_equal(cs_csv_read(eng, path, NULL, &ds), CS_OK);
    close(fds[0]);
    assert_int_equal(cs_dataset_nrows(ds), 2);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 0)), CS_TYPE_I64);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_interrupt_stops_reading(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds = (cs_dataset *)&t;
    size_t n = 3 * 4096, i, len = 0;
    char *in = malloc(n * 2 + 8);
    (void)state;
    assert_non_null(in);
    in[len++] = 'x';
    in[len++] = '\n';
    for (i = 0; i < n; i++) {
        in[len++] = '7';
        in[len++] = '\n';
    }
    cs_engine_interrupt(eng);
    assert_int_equal(cs_csv_read_buffer(eng, in, len, "i", NULL, &ds),
                     CS_EINTERRUPT);
    assert_null(ds);
    cs_engine_clear_interrupt(eng);
    assert_int_equal(cs_csv_read_buffer(eng, in, len, "i", NULL, &ds), CS_OK);
    assert_int_equal(cs_dataset_nrows(ds), n);
    cs_dataset_free(ds);
    free(in);
    free_engine(eng, &t);
}

/* ---- writing ---- */

#define NRT 12

/* A dataset of every type with the awkward values: nulls, empty strings,
** quotes, line ends, separators, "NA", extreme numbers. */
static cs_dataset *awkward_dataset(cs_engine *eng)
{
    static const char *const strs[NRT] = {
        "plain", "", NULL, "with \"quotes\"", "multi\nline", "a,b",
        " lead", "trail ", "NA", "L\xE1\xBA\xA1" "c S\xC6\xA1n", "x\r\ny",
        "semi;colon"};
    static const int64_t ints[NRT] = {0, -1, INT64_MIN, INT64_MAX, 0, 42,
                                      -42, 7, 1000000, 3, 5, 9};
    const double flts[NRT] = {0.1, 1e300, -0.0, 3.0, NAN, INFINITY,
                              -INFINITY, 5e-324, 0, 1.0 / 3, -2.5e-8,
                              123456789.125};
    static const int32_t dates[NRT] = {0, 19782, -1, 2932896, 0, 1, 2, 3,
                                       4, 5, 6, 7};
    cs_column *s, *i, *f, *b, *d;
    cs_dataset *ds;
    size_t r;
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &s), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &i), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &f), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_BOOL, &b), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    for (r = 0; r < NRT; r++) {
        if (strs[r])
            assert_int_equal(cs_column_push_str(s, strs[r], strlen(strs[r])),
                             CS_OK);
        else
            assert_int_equal(cs_column_push_null(s), CS_OK);
        if (r == 4)
            assert_int_equal(cs_column_push_null(i), CS_OK);
        else
            assert_int_equal(cs_column_push_i64(i, ints[r]), CS_OK);
        if (r == 8)
            assert_int_equal(cs_column_push_null(f), CS_OK);
        else
            assert_int_equal(cs_column_push_f64(f, flts[r]), CS_OK);
        if (r % 3 == 2)
            assert_int_equal(cs_column_push_null(b), CS_OK);
        else
            assert_int_equal(cs_column_push_bool(b, (int)(r % 2)), CS_OK);
        if (r == 11)
            assert_int_equal(cs_column_push_null(d), CS_OK);
        else
            assert_int_equal(cs_column_push_date(d, dates[r]), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "s", s), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "i", i), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "f", f), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "b", b), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "d", d), CS_OK);
    cs_column_release(s);
    cs_column_release(i);
    cs_column_release(f);
    cs_column_release(b);
    cs_column_release(d);
    return ds;
}

static void assert_same_values(const cs_dataset *a, const cs_dataset *b)
{
    size_t c, r;
    assert_int_equal(cs_dataset_ncols(a), cs_dataset_ncols(b));
    assert_int_equal(cs_dataset_nrows(a), cs_dataset_nrows(b));
    for (c = 0; c < cs_dataset_ncols(a); c++) {
        const cs_column *ca = cs_dataset_column(a, c);
        const cs_column *cb = cs_dataset_column(b, c);
        assert_string_equal(cs_dataset_colname(a, c),
                            cs_dataset_colname(b, c));
        assert_int_equal(cs_column_type(ca), cs_column_type(cb));
        for (r = 0; r < cs_dataset_nrows(a); r++) {
            cs_value va, vb;
            cs_column_get(ca, r, &va);
            cs_column_get(cb, r, &vb);
            if (va.isnull != vb.isnull)
                fail_msg("column %zu row %zu: null %d vs %d", c, r,
                         va.isnull, vb.isnull);
            if (va.isnull) continue;
            switch (va.type) {
            case CS_TYPE_I64:
                assert_int_equal(va.u.i, vb.u.i);
                break;
            case CS_TYPE_F64:
                if (isnan(va.u.f)) {
                    assert_true(isnan(vb.u.f));
                } else {
                    assert_memory_equal(&va.u.f, &vb.u.f, sizeof va.u.f);
                }
                break;
            case CS_TYPE_STR:
                assert_int_equal(va.u.s.len, vb.u.s.len);
                assert_memory_equal(va.u.s.p, vb.u.s.p, va.u.s.len);
                break;
            case CS_TYPE_BOOL:
                assert_int_equal(va.u.b, vb.u.b);
                break;
            case CS_TYPE_DATE:
                assert_int_equal(va.u.d, vb.u.d);
                break;
            }
        }
    }
}

static const char *const rt_names[] = {"s", "i", "f", "b", "d"};
static const cs_type rt_types[] = {CS_TYPE_STR, CS_TYPE_I64, CS_TYPE_F64,
                                   CS_TYPE_BOOL, CS_TYPE_DATE};

static void rt_options(cs_csv_options *o)
{
    cs_csv_options_init(o);
    o->schema_names = rt_names;
    o->schema_types = rt_types;
    o->nschema = 5;
}

static void test_csv_write_string_round_trip(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds = awkward_dataset(eng), *back;
    cs_csv_write_options w;
    cs_csv_options o;
    char *s;
    size_t len;
    (void)state;
    rt_options(&o);
    cs_csv_write_options_init(&w);
    assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_OK);
    assert_int_equal(strlen(s), len);
    assert_non_null(strstr(s, "\"NA\""));
    assert_non_null(strstr(s, "\"with \"\"quotes\"\"\""));
    assert_non_null(strstr(s, "\n,-1,1e+300,true,2024-02-29\n") ||
                    strstr(s, "\"\",-1,1e+300,true,2024-02-29\n"));
    assert_int_equal(cs_csv_read_buffer(eng, s, len, "rt", &o, &back), CS_OK);
    assert_same_values(ds, back);
    cs_dataset_free(back);
    cs_free_str(eng, s);

    /* Every separator, the decimal comma, CRLF and a BOM. */
    {
        static const char seps[] = {',', ';', '\t', '|'};
        size_t k;
        for (k = 0; k < 4; k++) {
            cs_csv_write_options_init(&w);
            w.sep = seps[k];
            w.decimal = ',';
            w.crlf = 1;
            w.bom = 1;
            assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_OK);
            assert_memory_equal(s, "\xEF\xBB\xBF", 3);
            rt_options(&o);
            o.decimal = ',';
            assert_int_equal(cs_csv_read_buffer(eng, s, len, "rt", &o,
                                                &back), CS_OK);
            assert_same_values(ds, back);
            cs_dataset_free(back);
            cs_free_str(eng, s);
        }
    }
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_write_exact_text(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds;
    cs_column *a, *b;
    cs_csv_write_options w;
    char *s;
    size_t len;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &a), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &b), CS_OK);
    assert_int_equal(cs_column_push_f64(a, 1.5), CS_OK);
    assert_int_equal(cs_column_push_str(b, "x;y", 3), CS_OK);
    assert_int_equal(cs_column_push_f64(a, 3), CS_OK);
    assert_int_equal(cs_column_push_str(b, "", 0), CS_OK);
    assert_int_equal(cs_column_push_null(a), CS_OK);
    assert_int_equal(cs_column_push_null(b), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "a", a), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "b c", b), CS_OK);
    cs_column_release(a);
    cs_column_release(b);

    cs_csv_write_options_init(&w);
    assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_OK);
    assert_string_equal(s, "a,b c\n1.5,x;y\n3.0,\"\"\n,\n");
    cs_free_str(eng, s);

    w.sep = ';';
    w.decimal = ',';
    w.bom = 1;
    w.crlf = 1;
    assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_OK);
    assert_string_equal(s, "\xEF\xBB\xBF" "a;b c\r\n1,5;\"x;y\"\r\n3,0;\"\"\r\n"
                           ";\r\n");
    cs_free_str(eng, s);

    w.sep = ',';
    w.header = 0;
    w.bom = 0;
    w.crlf = 0;
    assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_OK);
    assert_string_equal(s, "\"1,5\",x;y\n\"3,0\",\"\"\n,\n");
    cs_free_str(eng, s);

    w.sep = 'x';
    s = (char *)&t;
    assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_EINVAL);
    assert_null(s);
    assert_non_null(strstr(cs_errmsg(eng), "option 'sep'"));
    cs_csv_write_options_init(&w);
    w.decimal = 'x';
    assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_EINVAL);
    assert_non_null(strstr(cs_errmsg(eng), "option 'decimal'"));

    /* Header names holding any separator are quoted for detection. */
    cs_dataset_free(ds);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &a), CS_OK);
    assert_int_equal(cs_column_push_i64(a, 1), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x;y", a), CS_OK);
    cs_column_release(a);
    assert_int_equal(cs_csv_write_string(ds, NULL, &s, &len), CS_OK);
    assert_string_equal(s, "\"x;y\"\n1\n");
    cs_free_str(eng, s);
    cs_dataset_free(ds);

    /* No columns: nothing at all. */
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_csv_write_string(ds, NULL, &s, &len), CS_OK);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    cs_free_str(eng, s);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

/* Text with spaces around digits (" 7 ") is written quoted and reads back
** as text without a schema, although " 7 " unquoted is the number 7. */
static void test_csv_spaced_text_round_trip(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    static const char in[] = "code,n\n\" 7 \", 1 \n\" 08\",2\n";
    cs_dataset *ds, *back;
    char *s;
    size_t len;
    cs_value v;
    (void)state;
    assert_int_equal(cs_csv_read_buffer(eng, in, sizeof in - 1, "in", NULL, &ds), CS_OK);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 0)), CS_TYPE_STR);
    assert_int_equal(cs_column_type(cs_dataset_column(ds, 1)), CS_TYPE_I64);
    cs_column_get(cs_dataset_column(ds, 0), 0, &v);
    assert_int_equal(v.u.s.len, 3);
    assert_memory_equal(v.u.s.p, " 7 ", 3);
    assert_int_equal(cs_csv_write_string(ds, NULL, &s, &len), CS_OK);
    assert_non_null(strstr(s, "\" 7 \",1\n"));
    assert_int_equal(cs_csv_read_buffer(eng, s, len, "back", NULL, &back), CS_OK);
    assert_same_values(ds, back);
    cs_dataset_free(back);
    cs_free_str(eng, s);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_one_column_nulls_round_trip(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    static const int pattern[][4] = {
        {1, 0, 0, -1}, {0, -1, 0, 0}, {1, 1, 0, 0}, {0, 0, 0, 0},
        {1, -1, 0, 0}};
    size_t k;
    (void)state;
    /* 1 = value, 0 = null; -1 ends the row list. */
    for (k = 0; k < sizeof pattern / sizeof pattern[0]; k++) {
        cs_column *c;
        cs_dataset *ds, *back;
        char *s;
        size_t len, r;
        cs_csv_options o;
        const char *name = "x";
        cs_type ty = CS_TYPE_STR;
        assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &c), CS_OK);
        for (r = 0; r < 4 && pattern[k][r] >= 0; r++) {
            if (pattern[k][r])
                assert_int_equal(cs_column_push_str(c, "v", 1), CS_OK);
            else
                assert_int_equal(cs_column_push_null(c), CS_OK);
        }
        assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
        assert_int_equal(cs_dataset_add(ds, "x", c), CS_OK);
        cs_column_release(c);
        assert_int_equal(cs_csv_write_string(ds, NULL, &s, &len), CS_OK);
        cs_csv_options_init(&o);
        o.schema_names = &name;
        o.schema_types = &ty;
        o.nschema = 1;
        assert_int_equal(cs_csv_read_buffer(eng, s, len, "one", &o, &back),
                         CS_OK);
        assert_same_values(ds, back);
        cs_dataset_free(back);
        cs_free_str(eng, s);
        cs_dataset_free(ds);
    }
    free_engine(eng, &t);
}

static void test_csv_write_inferred_round_trip(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    static const char in[] =
        "id,ten,von,ngay,ok,ma_code\n"
        "1,\"Lạc Sơn, Hòa Bình\",1.5,2024-01-05,true,00412\n"
        "-2,NA2,3.0,,false,\n"
        "3,,-0.1,1999-12-31,,7\n";
    cs_dataset *ds, *back;
    char *s;
    size_t len;
    (void)state;
    assert_int_equal(cs_csv_read_buffer(eng, in, sizeof in - 1, "in", NULL,
                                        &ds), CS_OK);
    assert_int_equal(cs_csv_write_string(ds, NULL, &s, &len), CS_OK);
    assert_int_equal(cs_csv_read_buffer(eng, s, len, "out", NULL, &back),
                     CS_OK);
    assert_same_values(ds, back);
    cs_dataset_free(back);
    cs_free_str(eng, s);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

/* Random bit patterns and short decimals of every magnitude read back to
** the same doubles, with both decimal marks. */
static void test_csv_floats_round_trip_exactly(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_column *c;
    cs_dataset *ds, *back;
    cs_csv_write_options w;
    cs_csv_options o;
    const char *name = "x";
    cs_type ty = CS_TYPE_F64;
    uint64_t x = 0x243F6A8885A308D3u;
    size_t i, k;
    char *s;
    size_t len;
    (void)state;
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &c), CS_OK);
    for (i = 0; i < 3000; i++) {
        double v;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (i % 2) {
            memcpy(&v, &x, sizeof v);
            if (isnan(v)) v = (double)i;
        } else {
            v = (double)(int64_t)(x % 2000001u) - 1e6;
            v /= pow(10.0, (double)(x >> 59));
        }
        assert_int_equal(cs_column_push_f64(c, v), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", c), CS_OK);
    cs_column_release(c);
    for (k = 0; k < 2; k++) {
        cs_csv_write_options_init(&w);
        cs_csv_options_init(&o);
        w.decimal = o.decimal = k ? ',' : '.';
        o.schema_names = &name;
        o.schema_types = &ty;
        o.nschema = 1;
        assert_int_equal(cs_csv_write_string(ds, &w, &s, &len), CS_OK);
        assert_int_equal(cs_csv_read_buffer(eng, s, len, "f", &o, &back),
                         CS_OK);
        assert_same_values(ds, back);
        cs_dataset_free(back);
        cs_free_str(eng, s);
    }
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void test_csv_write_file_round_trip(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds = awkward_dataset(eng), *back;
    cs_csv_options o;
    char dir[] = "/tmp/cs_csv_XXXXXX", path[64], bad[96];
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.csv", dir);
    rt_options(&o);
    assert_int_equal(cs_csv_write(ds, path, NULL), CS_OK);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(cs_csv_read(eng, path, &o, &back), CS_OK);
    assert_same_values(ds, back);
    cs_dataset_free(back);
    /* Writing again replaces the file. */
    assert_int_equal(cs_csv_write(ds, path, NULL), CS_OK);
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(cs_csv_read(eng, path, &o, &back), CS_OK);
    assert_same_values(ds, back);
    cs_dataset_free(back);
    /* A directory that does not exist is an I/O error naming the path. */
    snprintf(bad, sizeof bad, "%s/no/such/dir.csv", dir);
    assert_int_equal(cs_csv_write(ds, bad, NULL), CS_EIO);
    assert_non_null(strstr(cs_errmsg(eng), bad));
    assert_int_equal(count_entries(dir), 1);
    unlink(path);
    rmdir(dir);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

static void test_csv_failed_write_leaves_no_file(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds = NULL;
    cs_column *c;
    char dir[] = "/tmp/cs_csv_XXXXXX", path[64];
    long base_live, n;
    long long base_bytes;
    size_t i;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.csv", dir);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    for (i = 0; i < 3 * 4096; i++)
        assert_int_equal(cs_column_push_i64(c, (int64_t)i), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "n", c), CS_OK);
    cs_column_release(c);
    /* Interrupted: neither the file nor a temporary is left. */
    cs_engine_interrupt(eng);
    assert_int_equal(cs_csv_write(ds, path, NULL), CS_EINTERRUPT);
    cs_engine_clear_interrupt(eng);
    assert_int_equal(count_entries(dir), 0);
    /* Out of memory at every allocation in turn. */
    base_live = t.live;
    base_bytes = t.bytes;
    for (n = 1; n < 1000; n++) {
        int rc;
        t.nalloc = 0;
        t.fail_at = n;
        rc = cs_csv_write(ds, path, NULL);
        t.fail_at = 0;
        assert_int_equal(t.live, base_live);
        assert_int_equal(t.bytes, base_bytes);
        if (rc == CS_OK) break;
        assert_int_equal(rc, CS_ENOMEM);
        assert_int_equal(count_entries(dir), 0);
    }
    assert_true(n > 1 && n < 1000);
    assert_int_equal(count_entries(dir), 1);
    unlink(path);
    rmdir(dir);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

/* ---- out of memory ---- */

static void test_csv_read_oom_sweep(void **state)
{
    static const char in[] =
        "name,n,x,ok,day,tax_code\n"
        "La\xCC\xA3" "c So\xCC\x9Bn,1,2.5,true,2024-01-01,0123\n"
        "\"q\"\"x\",NA,,false,,456\n"
        "\"multi\nline\",3,1e5,TRUE,1999-12-31,\n"
        "x,4,5,maybe,2000-02-30,7\n";   /* late changes: rescan */
    static const char cp[] = "t\xEAn;n\nLa\xF2" "c;1,5\n";
    tally t;
    cs_engine *eng = new_engine(&t);
    long base_live = t.live, n, done = 0, failures = 0;
    long long base_bytes = t.bytes;
    cs_csv_options o;
    (void)state;
    cs_csv_options_init(&o);
    for (n = 1; n < 10000 && done < 2; n++) {
        cs_dataset *ds = (cs_dataset *)&t;
        int rc;
        t.nalloc = 0;
        t.fail_at = n;
        if (done == 0)
            rc = cs_csv_read_buffer(eng, in, sizeof in - 1, "oom", NULL, &ds);
        else
            rc = cs_csv_read_buffer(eng, cp, sizeof cp - 1, "oom", &o, &ds);
        t.fail_at = 0;
        if (rc == CS_OK) {
            assert_int_equal(cs_dataset_ncols(ds), done ? 2 : 6);
            cs_dataset_free(ds);
            assert_int_equal(t.live, base_live);
            assert_int_equal(t.bytes, base_bytes);
            done++;
            o.encoding = "cp1258";
            o.decimal = ',';
            n = 0;
            continue;
        }
        if (rc != CS_ENOMEM)
            fail_msg("allocation %ld: rc %d (%s)", n, rc, cs_errmsg(eng));
        failures++;
        assert_null(ds);
        if (t.live != base_live || t.bytes != base_bytes)
            fail_msg("allocation %ld: %ld blocks, %lld bytes leaked", n,
                     t.live - base_live, t.bytes - base_bytes);
    }
    assert_int_equal(done, 2);
    assert_true(failures >= 40);
    free_engine(eng, &t);
}

static void test_csv_write_oom_sweep(void **state)
{
    tally t;
    cs_engine *eng = new_engine(&t);
    cs_dataset *ds = awkward_dataset(eng);
    long base_live = t.live, n;
    long long base_bytes = t.bytes;
    (void)state;
    for (n = 1; n < 10000; n++) {
        char *s = (char *)&t;
        size_t len;
        int rc;
        t.nalloc = 0;
        t.fail_at = n;
        rc = cs_csv_write_string(ds, NULL, &s, &len);
        t.fail_at = 0;
        if (rc == CS_OK) {
            cs_free_str(eng, s);
            break;
        }
        assert_int_equal(rc, CS_ENOMEM);
        assert_null(s);
        assert_int_equal(t.live, base_live);
        assert_int_equal(t.bytes, base_bytes);
    }
    assert_true(n < 10000);
    assert_int_equal(t.live, base_live);
    cs_dataset_free(ds);
    free_engine(eng, &t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_rfc4180_structure),
        cmocka_unit_test(test_csv_malformed_input_errors_name_line_and_column),
        cmocka_unit_test(test_csv_type_inference),
        cmocka_unit_test(test_csv_nulls_and_na_markers),
        cmocka_unit_test(test_csv_vietnamese_locale_numbers),
        cmocka_unit_test(test_csv_schema_overrides_and_type_errors),
        cmocka_unit_test(test_csv_separator_detection),
        cmocka_unit_test(test_csv_header_names),
        cmocka_unit_test(test_csv_bad_options_are_einval),
        cmocka_unit_test(test_csv_legacy_encodings),
        cmocka_unit_test(test_csv_options_init_defaults),
        cmocka_unit_test(test_csv_megabyte_field),
        cmocka_unit_test(test_csv_nfc_gives_one_dictionary_code),
        cmocka_unit_test(test_csv_reads_a_file),
        cmocka_unit_test(test_csv_reads_legacy_encoded_files),
        cmocka_unit_test(test_csv_missing_file_is_not_found),
        cmocka_unit_test(test_csv_file_ending_at_a_page_boundary),
        cmocka_unit_test(test_csv_reads_a_pipe),
        cmocka_unit_test(test_csv_interrupt_stops_reading),
        cmocka_unit_test(test_csv_write_string_round_trip),
        cmocka_unit_test(test_csv_write_exact_text),
        cmocka_unit_test(test_csv_spaced_text_round_trip),
        cmocka_unit_test(test_csv_one_column_nulls_round_trip),
        cmocka_unit_test(test_csv_write_inferred_round_trip),
        cmocka_unit_test(test_csv_floats_round_trip_exactly),
        cmocka_unit_test(test_csv_write_file_round_trip),
        cmocka_unit_test(test_csv_failed_write_leaves_no_file),
        cmocka_unit_test(test_csv_type_changes_late_in_the_file),
        cmocka_unit_test(test_csv_read_oom_sweep),
        cmocka_unit_test(test_csv_write_oom_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
