/*
** lscenario.h: periods and the arithmetic of targets, added to the
** coopstat module table (see lscenario.c for the Lua API).
*/
#ifndef LSCENARIO_H
#define LSCENARIO_H

#include "lua.h"

/* Adds cs.period, cs.years_between, cs.required_rate, cs._fit and
** cs._apportion to the module table at index MOD. */
void lscenario_open(lua_State *L, int mod);

#endif
