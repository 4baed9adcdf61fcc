/*
** lscenario.c: periods and the arithmetic of targets for Lua.
**
**   cs.period(s)            a period: 2023, 2023H1, 2023Q3, 2023-07
**       p + n, n + p, p - n (periods of its type), p - q (the number of
**       periods between two of one type), ==, <, <= (by end, then the
**       shorter first), tostring(p), "x" .. p, p.type ("half"), p.year,
**       p.index, p:to(type) (the period of a coarser type holding it),
**       p:years_to(q) (years from p's end to q's end), p:first_day(),
**       p:last_day() (ISO dates).  Wherever a period is expected, its
**       string works too.
**   cs.years_between(a, b)  years from a's end to b's end
**   cs.required_rate{ base =, base_period =, target =, target_period = }
**                           the compound growth per year to reach target
**   cs._fit(xs, ys, "linear" | "loglinear") -> { slope, intercept,
**       se_slope, r2, rate, se_rate, n } (for coopstat.scenario)
**   cs._apportion(total, weights) -> integers summing to total
**   cs.name_key(s [, { loose = true }]) -> a key matching Vietnamese place
**       names however their tone marks and type words are written
*/
#include <math.h>
#include <string.h>

#include "coopstat.h"
#include "lauxlib.h"
#include "lua.h"

#include "lcoopstat.h"
#include "lscenario.h"

#define PERIOD_MT "coopstat.period"

static void push_period(lua_State *L, cs_period p)
{
    cs_period *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = p;
    luaL_setmetatable(L, PERIOD_MT);
}

/* The period at IDX: a period or its text.  Raises an error naming the
** argument otherwise. */
static cs_period check_period(lua_State *L, int idx)
{
    cs_period p;
    size_t len;
    const char *s;
    cs_period *u = luaL_testudata(L, idx, PERIOD_MT);
    memset(&p, 0, sizeof p);
    if (u) return *u;
    if (lua_type(L, idx) != LUA_TSTRING) {
        luaL_typeerror(L, idx, "period");
        return p; /* not reached */
    }
    s = lua_tolstring(L, idx, &len);
    if (cs_period_parse(s, len, &p) != CS_OK)
        luaL_error(L, "'%s' is not a period (2023, 2023H1, 2023Q3 or 2023-07)", s);
    return p;
}

static int l_period(lua_State *L)
{
    push_period(L, check_period(L, 1));
    return 1;
}

static int period_tostring(lua_State *L)
{
    char buf[16];
    cs_period p = check_period(L, 1);
    cs_period_format(p, buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

static int period_concat(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    luaL_tolstring(L, 2, NULL);
    lua_concat(L, 2);
    return 1;
}

static void push_moved(lua_State *L, cs_period p, lua_Integer n)
{
    cs_period q;
    if (cs_period_add(p, n, &q) != CS_OK)
        luaL_error(L, "period arithmetic goes beyond the years 1 to 9999");
    push_period(L, q);
}

static int period_add(lua_State *L)
{
    int pi = luaL_testudata(L, 1, PERIOD_MT) ? 1 : 2;
    int ni = pi == 1 ? 2 : 1;
    if (!lua_isinteger(L, ni))
        return luaL_error(L, "a period is moved by a whole number of periods");
    push_moved(L, check_period(L, pi), lua_tointeger(L, ni));
    return 1;
}

static int period_sub(lua_State *L)
{
    cs_period a = check_period(L, 1);
    int64_t n;
    if (lua_isinteger(L, 2)) {
        lua_Integer k = lua_tointeger(L, 2);
        if (k == LUA_MININTEGER) return luaL_error(L, "period arithmetic overflows");
        push_moved(L, a, -k);
        return 1;
    }
    if (cs_period_diff(a, check_period(L, 2), &n) != CS_OK)
        return luaL_error(L, "periods of different types cannot be subtracted "
                             "(convert one with :to(), or use years_to)");
    lua_pushinteger(L, n);
    return 1;
}

static int period_eq(lua_State *L)
{
    cs_period a = check_period(L, 1), b = check_period(L, 2);
    lua_pushboolean(L, a.type == b.type && a.year == b.year && a.index == b.index);
    return 1;
}

static int period_lt(lua_State *L)
{
    lua_pushboolean(L, cs_period_cmp(check_period(L, 1), check_period(L, 2)) < 0);
    return 1;
}

static int period_le(lua_State *L)
{
    lua_pushboolean(L, cs_period_cmp(check_period(L, 1), check_period(L, 2)) <= 0);
    return 1;
}

static int period_to(lua_State *L)
{
    cs_period p = check_period(L, 1), q;
    const char *name = luaL_checkstring(L, 2);
    cs_period_type t = cs_period_type_from_name(name);
    char buf[16];
    if (t == 0)
        return luaL_error(L, "period:to: '%s' is not a period type (year, half, quarter, month)",
                          name);
    if (cs_period_convert(p, t, &q) != CS_OK) {
        cs_period_format(p, buf, sizeof buf);
        return luaL_error(L, "period:to: %s is not within one %s (a %s holds it, not the reverse)",
                          buf, name, name);
    }
    push_period(L, q);
    return 1;
}

static int period_years_to(lua_State *L)
{
    lua_pushnumber(L, cs_period_years_between(check_period(L, 1), check_period(L, 2)));
    return 1;
}

static int push_day(lua_State *L, int32_t day)
{
    char buf[16];
    cs_date_format(day, buf);
    lua_pushstring(L, buf);
    return 1;
}

static int period_first_day(lua_State *L)
{
    return push_day(L, cs_period_first_day(check_period(L, 1)));
}

static int period_last_day(lua_State *L)
{
    return push_day(L, cs_period_last_day(check_period(L, 1)));
}

static int period_next(lua_State *L)
{
    push_moved(L, check_period(L, 1), luaL_optinteger(L, 2, 1));
    return 1;
}

static const luaL_Reg period_methods[] = {
    {"to", period_to},         {"years_to", period_years_to},
    {"first_day", period_first_day}, {"last_day", period_last_day},
    {"next", period_next},     {NULL, NULL}};

static int period_index(lua_State *L)
{
    cs_period p = check_period(L, 1);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "type") == 0) {
        lua_pushstring(L, cs_period_type_name(p.type));
    } else if (strcmp(k, "year") == 0) {
        lua_pushinteger(L, p.year);
    } else if (strcmp(k, "index") == 0) {
        lua_pushinteger(L, p.index);
    } else {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
            return luaL_error(L, "a period has no field '%s'", k);
    }
    return 1;
}

static int l_years_between(lua_State *L)
{
    return period_years_to(L);
}

/* A number field of table T (at 1): required. */
static lua_Number field_number(lua_State *L, const char *name)
{
    lua_Number x;
    if (lua_getfield(L, 1, name) != LUA_TNUMBER)
        luaL_error(L, "required_rate: '%s' must be a number", name);
    x = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return x;
}

static cs_period field_period(lua_State *L, const char *name)
{
    cs_period p;
    if (lua_getfield(L, 1, name) == LUA_TNIL)
        luaL_error(L, "required_rate: '%s' is missing", name);
    p = check_period(L, lua_gettop(L));
    lua_pop(L, 1);
    return p;
}

static int l_required_rate(lua_State *L)
{
    lua_Number base, target, years, rate;
    cs_period bp, tp;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        if (strcmp(k, "base") != 0 && strcmp(k, "target") != 0 &&
            strcmp(k, "base_period") != 0 && strcmp(k, "target_period") != 0)
            return luaL_error(L, "required_rate: unknown option '%s'", k);
        lua_pop(L, 1);
    }
    base = field_number(L, "base");
    target = field_number(L, "target");
    bp = field_period(L, "base_period");
    tp = field_period(L, "target_period");
    years = cs_period_years_between(bp, tp);
    if (!(years > 0))
        return luaL_error(L, "required_rate: the target period must end after the base period");
    if (cs_required_rate(base, target, years, &rate) != CS_OK)
        return luaL_error(L, "required_rate: base must be > 0 and target >= 0 (got %f and %f)",
                          (double)base, (double)target);
    lua_pushnumber(L, rate);
    return 1;
}

/* Reads the numbers of the list at IDX into a new userdata array. */
static double *check_numbers(lua_State *L, int idx, size_t *n)
{
    size_t i, len;
    double *v;
    luaL_checktype(L, idx, LUA_TTABLE);
    len = (size_t)lua_rawlen(L, idx);
    v = lua_newuserdatauv(L, (len ? len : 1) * sizeof *v, 0);
    for (i = 0; i < len; i++) {
        int t = lua_rawgeti(L, idx, (lua_Integer)i + 1);
        v[i] = t == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
        lua_pop(L, 1);
    }
    *n = len;
    return v;
}

static void set_number(lua_State *L, const char *k, double x)
{
    lua_pushnumber(L, x);
    lua_setfield(L, -2, k);
}

static int l_fit(lua_State *L)
{
    size_t nx, ny;
    double *x = check_numbers(L, 1, &nx), *y = check_numbers(L, 2, &ny);
    const char *how = luaL_checkstring(L, 3);
    cs_fit f;
    int rc;
    if (nx != ny) return luaL_error(L, "fit: %d x values for %d y values", (int)nx, (int)ny);
    if (strcmp(how, "linear") == 0) rc = cs_fit_linear(x, y, nx, &f);
    else if (strcmp(how, "loglinear") == 0) rc = cs_fit_loglinear(x, y, nx, &f);
    else return luaL_error(L, "fit: '%s' is not linear or loglinear", how);
    if (rc != CS_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "%d usable point%s: a fit needs 2 at different times",
                        (int)f.n, f.n == 1 ? "" : "s");
        return 2;
    }
    lua_createtable(L, 0, 7);
    set_number(L, "slope", f.slope);
    set_number(L, "intercept", f.intercept);
    set_number(L, "se_slope", f.se_slope);
    set_number(L, "r2", f.r2);
    set_number(L, "rate", f.rate);
    set_number(L, "se_rate", f.se_rate);
    lua_pushinteger(L, (lua_Integer)f.n);
    lua_setfield(L, -2, "n");
    return 1;
}

static int l_apportion(lua_State *L)
{
    lua_Integer total = luaL_checkinteger(L, 1);
    size_t n, i;
    double *w = check_numbers(L, 2, &n);
    int64_t *out = lua_newuserdatauv(L, (n ? n : 1) * sizeof *out, 0);
    if (cs_apportion(total, w, n, out) != CS_OK)
        return luaL_error(L, "apportion: weights must be numbers >= 0, not all 0, and the "
                             "total a whole number >= 0");
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) {
        lua_pushinteger(L, out[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int free_key(lua_State *L)
{
    char **p = lua_touserdata(L, 1);
    if (*p) cs_free_str(lcoopstat_engine(L), *p);
    *p = NULL;
    return 0;
}

static int l_name_key(lua_State *L)
{
    size_t len, klen;
    const char *s = luaL_checklstring(L, 1, &len);
    int loose = 0, rc;
    cs_engine *eng = lcoopstat_engine(L);
    char **key;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "loose") != 0)
                return luaL_error(L, "name_key: unknown option '%s'", luaL_tolstring(L, -2, NULL));
            loose = lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
    }
    /* The key is owned by a box that frees it, even if pushing fails. */
    key = lua_newuserdatauv(L, sizeof *key, 0);
    *key = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, free_key);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    rc = cs_text_name_key(eng, s, len, loose, key, &klen);
    if (rc != CS_OK) return luaL_error(L, "name_key: %s", cs_errmsg(eng));
    lua_pushlstring(L, *key, klen);
    cs_free_str(eng, *key);
    *key = NULL;
    return 1;
}

static const luaL_Reg period_meta[] = {
    {"__tostring", period_tostring}, {"__concat", period_concat},
    {"__add", period_add},           {"__sub", period_sub},
    {"__eq", period_eq},             {"__lt", period_lt},
    {"__le", period_le},             {NULL, NULL}};

static const luaL_Reg funcs[] = {{"period", l_period},
                                 {"years_between", l_years_between},
                                 {"required_rate", l_required_rate},
                                 {"_fit", l_fit},
                                 {"_apportion", l_apportion},
                                 {"name_key", l_name_key},
                                 {NULL, NULL}};

void lscenario_open(lua_State *L, int mod)
{
    if (luaL_newmetatable(L, PERIOD_MT)) {
        luaL_setfuncs(L, period_meta, 0);
        lua_newtable(L);
        luaL_setfuncs(L, period_methods, 0);
        lua_pushcclosure(L, period_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, "period");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    lua_pushvalue(L, mod);
    luaL_setfuncs(L, funcs, 0);
    lua_pop(L, 1);
}
