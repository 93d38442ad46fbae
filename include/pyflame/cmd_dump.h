/* cmd_dump.h - `pyflame dump`: every thread's Python stack of a process, once. */
#ifndef PYFLAME_CMD_DUMP_H
#define PYFLAME_CMD_DUMP_H

#include "pyflame/cmd_run.h"

/* Print every thread's Python stack of o->attach_pid once (o->json: as JSON). */
int cmd_dump(const struct run_opts *o);

#endif
