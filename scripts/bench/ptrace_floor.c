/*
 * ptrace-floor - the least a ptrace-based follower of a process tree can do, for the
 * benchmark suite to measure what following itself costs (scripts/bench/run.sh
 * --profiler 'build/ptrace-floor --' --format none).
 *
 * It runs COMMAND seized with fork, vfork and clone events, resumes every stop at once
 * (signals passed on) from a blocking waitpid(), and exits with the command's status.
 * No exec events, no sampling, no /proc: whatever pyflame costs above this is its own.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int go[2], status = 0;
	pid_t child;
	char c = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: ptrace-floor COMMAND [ARGS...]\n");
		return 2;
	}
	if (pipe(go) < 0 || (child = fork()) < 0) {
		perror("ptrace-floor");
		return 1;
	}
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(125);
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	close(go[0]);
	if (ptrace(PTRACE_SEIZE, child, 0L,
		   PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE) < 0) {
		perror("ptrace-floor: PTRACE_SEIZE");
		return 1;
	}
	if (write(go[1], &c, 1) != 1)
		return 1;
	close(go[1]);
	for (;;) {
		int st, sig;
		pid_t tid = waitpid(-1, &st, __WALL);

		if (tid < 0)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tid == child)
				status = st;
			continue;
		}
		sig = WSTOPSIG(st);
		if ((unsigned)st >> 16)		/* an event or a new task's first stop */
			sig = 0;
		ptrace(PTRACE_CONT, tid, 0L, (long)sig);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
