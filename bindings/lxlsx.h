/*
** lxlsx.h: the XLSX writer of the coopstat module (bindings/lxlsx.c),
** registered in the module table as cs._xlsx_write.
*/
#ifndef LXLSX_H
#define LXLSX_H

#include "lua.h"

/* cs._xlsx_write(path, sheets): writes the workbook PATH, one worksheet
** per entry of SHEETS = { { name = text, header = { text, ... },
** rows = { { cell, ... }, ... }, widths = { number, ... } }, ... }.
** A cell is a number (written as a number, "#,##0" when integral, else
** "#,##0.00"), a string, or nil/false (left empty); the header is bold
** and frozen.  Raises "PATH: message" on any error; a partly written
** file may then remain at PATH (the caller writes a temporary file). */
int l_xlsx_write(lua_State *L);

#endif
