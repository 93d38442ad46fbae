/* outputs.c - output files created exclusively and put in place at the end (outputs.h). */
#include "pyflame/outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyflame/util.h"

#define NAME_TRIES 64		/* random names tried before giving up */

static void out_init(struct out_file *f, enum pf_format format)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->dirfd = -1;
	f->format = format;
}

/* dir/base for messages and for the timeline's replay of the raw log. */
static char *join(const char *dir, const char *base)
{
	struct strbuf sb = STRBUF_INIT;

	if (strcmp(dir, "."))
		strbuf_addf(&sb, "%s/", dir);
	strbuf_addstr(&sb, base);
	return strbuf_detach(&sb, NULL);
}

/* final's directory part ("." when none); a copy. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/*
 * May base (in dirfd) be replaced by a file of ours?  NULL if so (or if it is absent),
 * else why not.  A shared directory is sticky and world-writable (/tmp): there another
 * user's file is theirs, whatever our privileges (the kernel's protected_regular rule).
 */
static const char *refusal(int dirfd, const char *base, char *why, size_t size)
{
	struct stat st, dst;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? NULL : strerror(errno);
	if (S_ISLNK(st.st_mode))
		return "it is a symbolic link";
	if (S_ISDIR(st.st_mode))
		return "it is a directory";
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return "it is a device";
	if (S_ISFIFO(st.st_mode))
		return "it is a FIFO";
	if (!S_ISREG(st.st_mode))
		return "it is not a regular file";
	if (st.st_uid != geteuid() && !fstat(dirfd, &dst) && (dst.st_mode & S_ISVTX) &&
	    (dst.st_mode & S_IWOTH)) {
		snprintf(why, size, "it belongs to uid %u in a shared directory",
			 (unsigned)st.st_uid);
		return why;
	}
	return NULL;
}

static int check_target(const struct out_file *f)
{
	char why[96];
	const char *r = refusal(f->dirfd, f->base, why, sizeof(why));

	if (!r)
		return 0;
	pf_error(0, "refusing to write '%s': %s", f->final, r);
	pf_hint("outputs are new or regular files of your own, or '-' for standard output");
	return -EEXIST;
}

/* Six random letters and digits in place of the XXXXXX at the end of s. */
static void randomise(char *s)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[6];
	size_t n = strlen(s);

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(pf_now_ns() >> (i * 5));
	for (size_t i = 0; i < 6; i++)
		s[n - 6 + i] = set[r[i] % (sizeof(set) - 1)];
}

/*
 * Create a new file exclusively in dirfd under pattern (XXXXXX replaced; the rest of the
 * name kept); on success the name used is left in *name.  fd or -errno.
 */
static int create_unique(int dirfd, const char *pattern, const char *suffix, char **name)
{
	struct strbuf sb = STRBUF_INIT;
	int fd = -EEXIST;

	for (int i = 0; i < NAME_TRIES && fd == -EEXIST; i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%sXXXXXX", pattern);
		randomise(sb.buf);
		strbuf_addstr(&sb, suffix);
		fd = openat(dirfd, sb.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0)
			fd = -errno;
	}
	if (fd >= 0)
		*name = strbuf_detach(&sb, NULL);
	else
		strbuf_release(&sb);
	return fd;
}

/*
 * Common to both kinds: the directory, the name, the mode new files get, and (check) may
 * the target be replaced.
 */
static int prepare(struct out_file *f, const char *path, int check)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir;
	mode_t m;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return pf_error(-EISDIR, "cannot write '%s'", path);
	dir = dir_of(path);
	f->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0) {
		int e = -errno;

		free(dir);
		return pf_error(e, "cannot write '%s'", path);
	}
	free(dir);
	f->final = xstrdup(path);
	f->base = xstrdup(base);
	m = umask(0);
	umask(m);
	f->mode = 0666 & ~m;
	return check ? check_target(f) : 0;
}

static void remember(struct out_file *f)
{
	struct stat st;

	if (!fstat(f->fd, &st)) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
}

int outputs__open(struct out_file *f, const char *path, enum pf_format format)
{
	int ret;

	out_init(f, format);
	if (!strcmp(path, "-"))
		return 0;
	ret = prepare(f, path, 1);
	if (ret)
		goto out_fail;
	f->fd = openat(f->dirfd, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
	if (f->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE here: a hidden name of our own, removed if unused */
		struct strbuf pat = STRBUF_INIT;
		char *dir = dir_of(path);

		strbuf_addf(&pat, ".%s.pyflame-", f->base);
		ret = create_unique(f->dirfd, pat.buf, "", &f->tmp);
		strbuf_release(&pat);
		f->fd = ret >= 0 ? ret : -1;
		errno = -ret;
		if (f->tmp)
			f->path = join(dir, f->tmp);
		free(dir);
	}
	if (f->fd < 0) {
		ret = pf_error(-errno, "cannot write '%s'", path);
		goto out_fail;
	}
	remember(f);
	return 0;

out_fail:
	outputs__discard(f);
	out_init(f, format);
	return ret;
}

int outputs__open_raw(struct out_file *f, const char *path, int asked)
{
	int ret;

	out_init(f, PF_FORMAT_RAW);
	ret = prepare(f, path, asked);
	if (ret)
		goto out_fail;
	f->fd = openat(f->dirfd, f->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (f->fd < 0 && errno == EEXIST && asked) {
		/*
		 * The user named it and a regular file of theirs is there (prepare checked):
		 * replace it now, with a file of ours, so the log has its name all along.
		 */
		struct strbuf pat = STRBUF_INIT;

		strbuf_addf(&pat, ".%s.pyflame-", f->base);
		ret = create_unique(f->dirfd, pat.buf, "", &f->tmp);
		strbuf_release(&pat);
		f->fd = ret;
		if (ret >= 0) {
			ret = check_target(f);
			if (!ret && renameat(f->dirfd, f->tmp, f->dirfd, f->base) < 0)
				ret = -errno;
			if (ret) {
				unlinkat(f->dirfd, f->tmp, 0);
				close(f->fd);
				f->fd = -1;
			}
		}
		free(f->tmp);
		f->tmp = NULL;
		errno = -ret;
	} else if (f->fd < 0 && errno == EEXIST) {
		/* someone else's file: never touched; a name of our own beside it */
		struct strbuf pat = STRBUF_INIT;
		const char *dot = strrchr(f->base, '.');
		char *dir = dir_of(path), *name = NULL;

		strbuf_add(&pat, f->base, dot && dot != f->base ? (size_t)(dot - f->base) :
			   strlen(f->base));
		strbuf_addch(&pat, '-');
		ret = create_unique(f->dirfd, pat.buf, dot && dot != f->base ? dot : "", &name);
		strbuf_release(&pat);
		f->fd = ret;
		errno = -ret;
		if (name) {
			free(f->base);
			free(f->final);
			f->base = name;
			f->final = join(dir, name);
		}
		free(dir);
	}
	if (f->fd < 0) {
		ret = pf_error(-errno, "cannot write the raw log '%s'", path);
		f->fd = -1;
		goto out_fail;
	}
	f->named = 1;
	f->path = xstrdup(f->final);
	remember(f);
	return 0;

out_fail:
	outputs__discard(f);
	out_init(f, PF_FORMAT_RAW);
	return ret;
}

int outputs__retarget(struct out_file *f, const char *path)
{
	const char *slash = strrchr(path, '/');

	free(f->final);
	free(f->base);
	f->final = xstrdup(path);
	f->base = xstrdup(slash ? slash + 1 : path);
	return check_target(f);
}

/* Does base in dirfd still hold the file we created? */
static int still_ours(const struct out_file *f, const char *base)
{
	struct stat st;

	return !fstatat(f->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
	       st.st_dev == f->dev && st.st_ino == f->ino;
}

/* Give an unnamed file the hidden name tmp (created by the link, so exclusively). */
static int link_unnamed(struct out_file *f)
{
	struct strbuf pat = STRBUF_INIT, proc = STRBUF_INIT;
	int ret = -EEXIST;

	strbuf_addf(&proc, "/proc/self/fd/%d", f->fd);
	for (int i = 0; i < NAME_TRIES && ret == -EEXIST; i++) {
		strbuf_reset(&pat);
		strbuf_addf(&pat, ".%s.pyflame-XXXXXX", f->base);
		randomise(pat.buf);
		ret = 0;
		if (linkat(AT_FDCWD, proc.buf, f->dirfd, pat.buf, AT_SYMLINK_FOLLOW) < 0 &&
		    (errno != ENOENT ||
		     linkat(f->fd, "", f->dirfd, pat.buf, AT_EMPTY_PATH) < 0))
			ret = -errno;	/* ENOENT: no /proc; AT_EMPTY_PATH may need privilege */
	}
	if (!ret)
		f->tmp = strbuf_detach(&pat, NULL);
	strbuf_release(&pat);
	strbuf_release(&proc);
	return ret;
}

int outputs__commit(struct out_file *f)
{
	char why[96];
	int ret = 0;

	if (f->fd < 0)
		return -EBADF;
	if (fchmod(f->fd, f->mode) < 0)
		ret = -errno;
	if (!ret && f->named)
		goto out_close;		/* the raw log has had its name all along */
	if (!ret && refusal(f->dirfd, f->base, why, sizeof(why)))
		ret = -EEXIST;		/* something we may not replace appeared meanwhile */
	if (!ret && !f->tmp)
		ret = link_unnamed(f);
	if (!ret && renameat(f->dirfd, f->tmp, f->dirfd, f->base) < 0)
		ret = -errno;
	if (ret && f->tmp && still_ours(f, f->tmp))
		unlinkat(f->dirfd, f->tmp, 0);
	free(f->tmp);
	f->tmp = NULL;
out_close:
	if (!ret)
		f->named = 0;	/* in place: no longer ours to remove */
	close(f->fd);
	f->fd = -1;
	return ret;
}

void outputs__close(struct out_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->tmp);
	free(f->final);
	free(f->base);
	free(f->path);
	out_init(f, PF_FORMAT_NONE);
}

void outputs__discard(struct out_file *f)
{
	if (f->dirfd >= 0) {
		if (f->tmp && still_ours(f, f->tmp))
			unlinkat(f->dirfd, f->tmp, 0);
		else if (f->named && f->base && still_ours(f, f->base))
			unlinkat(f->dirfd, f->base, 0);
	}
	outputs__close(f);
}

int outputs__write(struct out_file *files, size_t n, const struct profile *p,
		   const struct output_opts *oo, const char **written, size_t *nwritten,
		   outputs_commit_fn commit, void *arg)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		struct out_file *f = &files[i];
		FILE *fp;
		int err, fd;

		if (f->format == PF_FORMAT_NONE)
			continue;	/* already written or not ours to write */
		if (!f->final) {
			fflush(stdout);
			err = pf_write(f->format, p, oo, stdout);
			if (fflush(stdout) && !err)
				err = -errno;
			if (err)
				ret = pf_error(err, "cannot write the profile to standard output");
			f->format = PF_FORMAT_NONE;
			continue;
		}
		/* a descriptor of its own for stdio: f->fd stays open for the commit */
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
		fp = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!fp) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			goto out_err;
		}
		err = pf_write(f->format, p, oo, fp);
		if (fclose(fp) && !err)
			err = -errno;
		if (!err)
			err = commit ? commit(arg, i) : outputs__commit(f);
		if (!err) {
			written[(*nwritten)++] = f->final;
			f->format = PF_FORMAT_NONE;
			continue;
		}
out_err:
		if (err == -EEXIST)
			ret = pf_error(0, "refusing to write '%s': it changed into something pyflame "
				       "may not replace", f->final);
		else
			ret = pf_error(err, "cannot write '%s'", f->final);
		f->format = PF_FORMAT_NONE;
	}
	return ret;
}
