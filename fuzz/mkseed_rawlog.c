/*
 * mkseed_rawlog.c - seeds for fuzz_rawlog: raw logs written by rawlog__new() itself.
 *
 *	mkseed_rawlog OUTDIR
 *
 * A complete log (every record type, two processes, an exec'd command line update, a
 * negative line, a flush in the middle) and the same log cut short, as SIGKILL leaves it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyflame/profile.h"
#include "pyflame/rawlog.h"
#include "pyflame/util.h"

static uint32_t stack_of(struct profile *p, const char *const *names, int n)
{
	uint32_t fr[8];

	for (int i = 0; i < n; i++) {
		struct pf_frame f = {
			.name = strtab__intern_str(p->strings, names[i]),
			.file = strtab__intern_str(p->strings, i ? "app.py" : "/usr/lib/日本.py"),
			.line = i == 2 ? -1 : 10 * (i + 1),
		};

		fr[i] = profile__frame(p, &f);
	}
	return profile__stack(p, fr, (size_t)n);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "<module>", "main", "Klass.work", "leaf" };
	struct pf_meta m = { 0 };
	struct profile *p = profile__new();
	char path[4200];
	struct rawlog *l;
	uint32_t pr, t1, t2, s1, s2;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseed_rawlog OUTDIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/complete.raw", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !(l = rawlog__new(fd, 1000))) {
		perror(path);
		return 1;
	}
	m.command = "python3 app.py";
	m.mode = "wall";
	m.rate_hz = 100;
	m.start_unix_ns = 1700000000000000000ull;
	rawlog__meta(l, &m);
	pr = profile__process(p, 4242, "python3 app.py", "3.12.1");
	t1 = profile__thread(p, pr, 4242, "MainThread");
	t2 = profile__thread(p, pr, 4243, "worker");
	s1 = stack_of(p, names, 4);
	s2 = stack_of(p, names, 2);
	rawlog__sample(l, p, 11000, t1, s1, PF_SAMPLE_GIL);
	rawlog__sample(l, p, 21000, t2, s2, PF_SAMPLE_IDLE);
	rawlog__flush(l, 0, 1);
	profile__process(p, 4242, "python3 other.py", "3.12.1");	/* exec */
	pr = profile__process(p, 4250, "python3 -c pass", "2.7.18");
	t1 = profile__thread(p, pr, 4250, "MainThread");
	rawlog__sample(l, p, 31000, t1, stack_of(p, names + 1, 3), PF_SAMPLE_TRUNCATED);
	rawlog__sample(l, p, 41500, t1, s2, 0);
	m.duration_ns = 40000;
	m.ticks = 4;
	m.dropped = 1;
	if (rawlog__close(l, &m)) {
		perror(path);
		return 1;
	}
	profile__free(p);

	/* The same log cut in the middle of a record. */
	{
		char cut[4300], buf[1 << 16];
		FILE *in = fopen(path, "rb"), *out;
		size_t n = in ? fread(buf, 1, sizeof(buf), in) : 0;

		if (in)
			fclose(in);
		snprintf(cut, sizeof(cut), "%s/killed.raw", argv[1]);
		out = fopen(cut, "wb");
		if (!out || fwrite(buf, 1, n * 2 / 3, out) != n * 2 / 3 || fclose(out)) {
			perror(cut);
			return 1;
		}
	}
	return 0;
}
