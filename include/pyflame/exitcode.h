/*
 * exitcode.h - pyflame's own exit statuses.  The command's status passes through
 * unchanged (run); these are what pyflame says when it is the one that failed.  Shells
 * use 126 and 127 the same way, and `timeout` and `env` use 125 for their own failures.
 */
#ifndef PYFLAME_EXITCODE_H
#define PYFLAME_EXITCODE_H

#define PF_EXIT_USAGE     2	/* bad option or value, missing operand, unusable output path */
#define PF_EXIT_FAILURE   125	/* pyflame itself failed (e.g. attaching was refused) */
#define PF_EXIT_NOEXEC    126	/* the command is not executable */
#define PF_EXIT_NOTFOUND  127	/* the command was not found */

#endif
