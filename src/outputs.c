/* outputs.c - temporary files beside their targets, renamed into place when complete. */
#include "pyflame/outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyflame/util.h"

int outputs__open(struct out_file *f, const char *path, enum pf_format format)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *dup;
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->format = format;
	if (!strcmp(path, "-"))
		return 0;
	if (!*base || (!stat(path, &st) && S_ISDIR(st.st_mode)))
		return pf_error(-EISDIR, "cannot write '%s'", path);
	dup = xstrdup(path);
	strbuf_addf(&sb, "%s/.%s.pyflame-XXXXXX", dirname(dup), base);
	free(dup);
	f->fd = mkostemp(sb.buf, O_CLOEXEC);
	if (f->fd < 0) {
		int e = -errno;

		strbuf_release(&sb);
		return pf_error(e, "cannot write '%s'", path);
	}
	f->tmp = strbuf_detach(&sb, NULL);
	f->final = xstrdup(path);
	return 0;
}

void outputs__retarget(struct out_file *f, const char *path)
{
	free(f->final);
	f->final = xstrdup(path);
}

void outputs__discard(struct out_file *f)
{
	if (f->tmp)
		unlink(f->tmp);
	if (f->fd >= 0)
		close(f->fd);
	free(f->tmp);
	free(f->final);
	f->tmp = f->final = NULL;
	f->fd = -1;
}

/* mkostemp() creates files 0600; a profile gets the mode any new file would. */
static void apply_umask(int fd)
{
	mode_t m = umask(0);

	umask(m);
	fchmod(fd, 0666 & ~m);
}

int outputs__write(struct out_file *files, size_t n, const struct profile *p,
		   const struct output_opts *oo, const char **written, size_t *nwritten)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		struct out_file *f = &files[i];
		FILE *fp;
		int err;

		if (!f->tmp) {
			if (f->final)
				continue;	/* already written or discarded */
			fflush(stdout);
			err = pf_write(f->format, p, oo, stdout);
			if (fflush(stdout) && !err)
				err = -errno;
			if (err)
				ret = pf_error(err, "cannot write the profile to standard output");
			continue;
		}
		apply_umask(f->fd);
		fp = fdopen(f->fd, "w");
		if (!fp) {
			ret = pf_error(-errno, "cannot write '%s'", f->final);
			outputs__discard(f);
			continue;
		}
		f->fd = -1;
		err = pf_write(f->format, p, oo, fp);
		if (fclose(fp) && !err)
			err = -errno;
		if (!err && rename(f->tmp, f->final) < 0)
			err = -errno;
		if (err) {
			ret = pf_error(err, "cannot write '%s'", f->final);
			unlink(f->tmp);
		} else {
			written[(*nwritten)++] = f->final;
		}
		free(f->tmp);
		f->tmp = NULL;
	}
	return ret;
}
