/*
 * repeat.c - the driver of `pyflame run --repeat N` (see repeat.h).  It runs in pyflame's
 * traced child, between the fork and what would have been the exec, so it uses only
 * what is safe there: system calls, no stdio, no allocation.
 */
#include "pyflame/repeat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyflame/exitcode.h"

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t stop_after;	/* a signal came: start no more repeats */

static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/*
 * A signal sent by a process (kill(2): pyflame forwarding, or a user) goes on to the
 * running repeat.  One the terminal sent (Ctrl-C: si_code SI_KERNEL) has reached the
 * repeat already, as it reaches the whole foreground process group.
 */
static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;

	(void)ctx;
	stop_after = sig;
	if (child_pid > 0 && si->si_code <= 0)
		kill((pid_t)child_pid, sig);
	errno = saved;
}

/* End as status says the repeat ended: its exit code, or killed by its signal. */
static _Noreturn void end_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		sigset_t set;

		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);	/* a signal that does not kill (ignored by default) */
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

_Noreturn void repeat__drive(char *const argv[], unsigned n, int errfd)
{
	struct sigaction sa;
	sigset_t relay, old;
	int status = 0;

	/* what an exec would do: caught signals back to their default, ignored ones kept */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction cur;

		if (sig != SIGKILL && sig != SIGSTOP && !sigaction(sig, NULL, &cur) &&
		    cur.sa_handler != SIG_IGN && cur.sa_handler != SIG_DFL)
			signal(sig, SIG_DFL);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;	/* no SA_RESTART: waitpid wakes to check */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&relay);
	for (unsigned i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++) {
		sigaction(relayed[i], &sa, NULL);
		sigaddset(&relay, relayed[i]);
	}

	for (unsigned k = 1; k <= n; k++) {
		int ep[2], e = 0;
		pid_t pid;
		ssize_t got;

		/* a signal between this check and the fork waits until child_pid is set */
		sigprocmask(SIG_BLOCK, &relay, &old);
		if (stop_after)
			break;
		if (pipe2(ep, O_CLOEXEC) < 0)
			_exit(PF_EXIT_FAILURE);
		pid = fork();
		if (pid < 0)
			_exit(PF_EXIT_FAILURE);
		if (pid == 0) {
			/* the command gets the dispositions and mask it would have had */
			for (unsigned i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
				signal(relayed[i], SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			close(ep[0]);
			execvp(argv[0], argv);
			e = errno;
			if (write(ep[1], &e, sizeof(e)) < 0) {
				/* the exit code says it too */
			}
			_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
		}
		child_pid = pid;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(ep[1]);
		do
			got = read(ep[0], &e, sizeof(e));
		while (got < 0 && errno == EINTR);
		close(ep[0]);
		if (got == (ssize_t)sizeof(e) && k == 1 && errfd >= 0) {
			if (write(errfd, &e, sizeof(e)) < 0) {
				/* pyflame reports 126/127 from the exit code anyway */
			}
		}
		if (k == 1 && errfd >= 0) {
			close(errfd);
			errfd = -1;
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR)
				_exit(PF_EXIT_FAILURE);
		}
		child_pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			end_like(status);	/* the first failure ends the run */
	}
	end_like(status);
}
