/*
 * procfs.h - the one reader of /proc task state for the tracer and the sampler.
 *
 * Everything here is read from files the traced program can change under us (a thread
 * name, a command line) or that vanish at any moment (a task exiting): every parser is
 * bounded, and "unreadable" is an answer, never a crash.
 */
#ifndef PYFLAME_PROCFS_H
#define PYFLAME_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A task's scheduler state, the letter after the command name in /proc/.../stat:
 * R running, S sleeping, D uninterruptible (a vfork parent waits so), T stopped,
 * t stopped by its tracer, Z zombie, X dead, I idle kernel thread, P parked.
 */
enum procfs_state {
	PROCFS_STATE_UNKNOWN = 0,
	PROCFS_STATE_RUNNING = 'R',
	PROCFS_STATE_SLEEPING = 'S',
	PROCFS_STATE_DISK = 'D',
	PROCFS_STATE_STOPPED = 'T',
	PROCFS_STATE_TRACED = 't',
	PROCFS_STATE_ZOMBIE = 'Z',
	PROCFS_STATE_DEAD = 'X',
};

/* The state letter of a stat line (buf, len bytes, need not be NUL-terminated). */
enum procfs_state procfs__parse_state(const char *buf, size_t len);

/* The state of pid's thread tid (tid == pid: the leader); UNKNOWN when it is gone. */
enum procfs_state procfs__task_state(pid_t pid, pid_t tid);

/* The same read through an open /proc/.../stat file descriptor. */
enum procfs_state procfs__state_fd(int fd);

/*
 * The CPU time a task has run, in ns: the first field of /proc/PID/task/TID/schedstat
 * (buf, len bytes); with waited, also the second, the time it waited on a run queue for
 * a CPU.  0 and *ns (*waited) set, or -EINVAL.
 */
int procfs__parse_runtime(const char *buf, size_t len, uint64_t *ns, uint64_t *waited);
/* The same read through an open schedstat file descriptor: 0 or -errno / -EINVAL. */
int procfs__runtime_fd(int fd, uint64_t *ns, uint64_t *waited);

/*
 * What identifies the image a process runs, from its stat line (buf, len bytes): a hash
 * of its name and where its code and its stack begin and end (fields 2, 26, 27, 28; an
 * exec changes the stack's start, address space randomisation or not, and usually the
 * rest), never 0.  The pid is not part of it.  0 and *id set, or -EINVAL.
 */
int procfs__parse_image(const char *buf, size_t len, uint64_t *id);
/* The same read through an open /proc/PID/stat file descriptor: 0, -errno or -EINVAL. */
int procfs__image_fd(int fd, uint64_t *id);

/* Can a task in this state take a ptrace-stop soon?  No for D, Z, X and unknown. */
int procfs__state_stoppable(enum procfs_state s);

/*
 * A numeric field of /proc/PID/status ("Tgid", "PPid", "TracerPid", the first of "Uid")
 * in *val; a hexadecimal mask ("SigPnd", "ShdPnd", "SigCgt", "SigIgn", "SigBlk") with
 * procfs__status_mask.  0 or -errno (-ENOENT: no such field).
 */
int procfs__parse_status_long(const char *status, const char *key, long *val);
int procfs__parse_status_mask(const char *status, const char *key, uint64_t *mask);
int procfs__status_long(pid_t pid, const char *key, long *val);

/* Is signal sig (1..64) set in any of the NULL-terminated status masks keys of pid? */
int procfs__signal_in(pid_t pid, int sig, const char *const keys[]);

/* The thread-group id of tid; tid itself when unreadable. */
pid_t procfs__tgid(pid_t tid);

#endif
