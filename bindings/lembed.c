/*
** lembed.c: loads the Lua parts of the module (bindings/lua/NAME.lua, as
** compiled in by bindings/embed.sh).  Each part NAME becomes the module
** "coopstat.NAME" in package.preload, loaded as text only; the part
** "init" runs at once with the module table, to add its Lua functions.
*/
#include <string.h>

#include "lauxlib.h"
#include "lua.h"

#include "lembed.h"

/* Pushes part P compiled as a function (text only, never bytecode). */
static void load(lua_State *L, const lembed_part *p)
{
    lua_pushfstring(L, "@%s", p->path);
    if (luaL_loadbufferx(L, p->text, p->size, lua_tostring(L, -1), "t"))
        lua_error(L);
    lua_remove(L, -2);
}

/* The loader of part P (upvalue 1): returns what the chunk returns. */
static int load_part(lua_State *L)
{
    load(L, lua_touserdata(L, lua_upvalueindex(1)));
    lua_call(L, 0, 1);
    return 1;
}

void lembed_open(lua_State *L, int mod)
{
    const lembed_part *p;
    int preload;
    lua_getglobal(L, "package");
    if (lua_istable(L, -1) && lua_getfield(L, -1, "preload") == LUA_TTABLE) {
        preload = lua_gettop(L);
        for (p = lembed_parts; p->name; p++) {
            if (strcmp(p->name, "init") == 0) continue;
            lua_pushfstring(L, "coopstat.%s", p->name);
            lua_pushlightuserdata(L, (void *)p);
            lua_pushcclosure(L, load_part, 1);
            lua_settable(L, preload);
        }
    }
    lua_settop(L, mod);
    for (p = lembed_parts; p->name; p++) {
        if (strcmp(p->name, "init") != 0) continue;
        load(L, p);
        lua_pushvalue(L, mod);
        lua_call(L, 1, 0);
    }
}
