/*
 * session.h - what run, attach and dump share: attaching to a process with the privilege
 * checks, confining pyflame once the command runs, the sandbox's report, and a process's
 * command line.
 */
#ifndef PYFLAME_SESSION_H
#define PYFLAME_SESSION_H

#include <stddef.h>
#include <sys/types.h>

#include "pyflame/remote.h"

struct keeper;
struct out_file;
struct tracer;

/*
 * Attach tr to pid (attach, dump), refusing another user's process when pyflame runs with
 * a file capability; *reader auto becomes /proc/PID/mem there (see session.c).  Says why
 * not; 0 or -errno.
 */
int session__attach(struct tracer *tr, pid_t pid, enum remote_kind *reader);
/*
 * Drop every privilege and, when sandbox, start the keeper of files[0..nfiles) and raw
 * (NULL: none; nfiles 0: no keeper) and install the seccomp filter.  command: the pid the
 * sandbox lets pyflame signal (0: none).  Returns the keeper, or NULL.
 */
struct keeper *session__confine(int sandbox, struct out_file *files, size_t nfiles,
				struct out_file *raw, pid_t command);
/* If the sandbox refused a system call, say which (a bug of pyflame's). */
void session__report_sandbox(void);
/* pid's command line as typed, whole ("process PID" if unreadable). */
char *session__cmdline(pid_t pid);

#endif
