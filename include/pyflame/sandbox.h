/* sandbox.h - the sampler's seccomp allow-list. */
#ifndef PYFLAME_SANDBOX_H
#define PYFLAME_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Confine the calling (single-threaded) process to the system calls the sampling loop
 * needs.  Call it once every output is open, every task is traced and the keeper holds the
 * files.  Signals may go to the process itself and to command (0: none; attach and dump
 * never signal their target).  A call outside the list does not kill pyflame: it fails
 * with EPERM and is remembered, so the caller can name it in one line.  Needs no-new-privs
 * (privs__drop_all sets it).  0 or -errno.
 */
int sandbox__apply(pid_t command);

/*
 * Let terminal descriptor fd (the --live view's) also set its modes (tcsetattr: the view
 * restores the terminal at the end) and be asked its size.  Call before sandbox__apply.
 */
void sandbox__allow_tty(int fd);

/* The first system call the sandbox refused, or -1; and how many were refused. */
int sandbox__denied(unsigned long *count);

/* The name of system call nr ("execve"), or "syscall N". */
void sandbox__syscall_name(int nr, char *buf, size_t size);

#endif
