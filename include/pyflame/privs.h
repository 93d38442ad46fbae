/* privs.h - capabilities: what the command may keep, and dropping pyflame's own. */
#ifndef PYFLAME_PRIVS_H
#define PYFLAME_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

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

/*
 * Clear the effective, permitted, inheritable and ambient sets, and nothing else (no
 * no-new-privs: a command forked later inherits that), and become dumpable again.  Before
 * launching the command from a copy of pyflame with file capabilities.  0 or -errno.
 */
int privs__drop_caps(void);

/*
 * 1 if process pid is not wholly the caller's real user's: one of its real, effective,
 * saved or file-system uids or gids differs (then *uid is the first differing uid, or -1
 * when only a gid differs), or its status cannot be read.  0 if it is.
 */
int privs__foreign(pid_t pid, long *uid);

/*
 * 1 if running cmd (looked up in PATH like execvp) would give privileges the caller does
 * not have: set-user-ID to another user, set-group-ID to another group, or file
 * capabilities.  path receives the file.  0 otherwise, or when it cannot tell.
 */
int privs__exec_gains(const char *cmd, char *path, size_t size);

/* What a program would gain at exec, when run by this user; privs__gain_name() says it. */
enum privs_gain {
	PRIVS_GAIN_NONE,
	PRIVS_GAIN_SETUID,	/* set-user-ID to another user */
	PRIVS_GAIN_SETGID,	/* set-group-ID to another group */
	PRIVS_GAIN_FCAPS,	/* file capabilities */
};

/*
 * What the program process pid now runs would have gained at its exec (enum privs_gain)
 * for user uid and group gid (its tracer's): under a tracer without CAP_SYS_PTRACE the
 * kernel grants none of it, so a traced run of it has lost that.  path receives the file
 * (from /proc/PID/exe) when there is a gain.  PRIVS_GAIN_NONE also when it cannot tell.
 */
int privs__image_gains(pid_t pid, uid_t uid, gid_t gid, char *path, size_t size);
const char *privs__gain_name(int gain);

#endif
