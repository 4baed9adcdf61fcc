/*
** lembed.h: the Lua parts of the coopstat module (bindings/lua/NAME.lua),
** compiled into it by bindings/embed.sh, and their loader.
*/
#ifndef LEMBED_H
#define LEMBED_H

#include <stddef.h>

typedef struct lembed_part {
    const char *name; /* "indicators": required as "coopstat.indicators" */
    const char *path; /* "bindings/lua/indicators.lua", for messages */
    const char *text;
    size_t size;
} lembed_part;

/* Ends with an entry whose name is NULL. */
extern const lembed_part lembed_parts[];

#ifdef LUA_VERSION_NUM
/* Puts a loader for each part into package.preload, then runs the part
** "init" (if any) with the module table at index MOD as argument. */
void lembed_open(lua_State *L, int mod);
#endif

#endif
