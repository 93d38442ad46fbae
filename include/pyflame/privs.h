/* privs.h - capabilities: what the command may keep, and dropping pyflame's own. */
#ifndef PYFLAME_PRIVS_H
#define PYFLAME_PRIVS_H

/*
 * In the forked child, before exec: a command started by a non-root user never inherits
 * capabilities pyflame was given as file capabilities (setcap cap_sys_ptrace+ep pyflame).
 * Root keeps root's own.  Async-signal-safe enough for use between fork and exec.
 */
int privs__child_drop(void);

/*
 * In pyflame, once the command is launched: clear the effective, permitted, inheritable
 * and ambient sets, the bounding set where permitted, and set no-new-privs.  0 or -errno.
 *
 * keep_ptrace keeps CAP_SYS_PTRACE alone (effective and permitted).  The kernel lets a
 * process read another's memory only if the target's permitted capabilities are a subset
 * of its own or it has CAP_SYS_PTRACE; a command run by root holds every capability, so
 * a pyflame run by root keeps that one capability and nothing else.
 */
int privs__drop_all(int keep_ptrace);

/* 1 if the calling process holds any capability in its effective or permitted set. */
int privs__any(void);

#endif
