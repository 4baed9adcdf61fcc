/*
** exprint.h: what the verbs need of expr.c beyond the public API.
** A filter collects the rows where a condition holds straight into a
** selection, without building the bool column first.
*/
#ifndef COOPSTAT_EXPRINT_H
#define COOPSTAT_EXPRINT_H

#include "csint.h"

/* Evaluates the bool expression E over DS and returns in *OUT a new
** selection of the base rows (through DS's own selection when DS is a
** view) where E is true.  Errors: those of cs_expr_eval, CS_ETYPE when E
** is not bool, and CS_EOVERFLOW when DS's base has more than UINT32_MAX
** rows (the caller then gathers with cs_dataset_take). */
int cs__expr_filter(const cs_expr *e, const cs_dataset *ds, cs_sel **out);

#endif
