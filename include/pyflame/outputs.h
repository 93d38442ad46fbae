/*
 * outputs.h - the files pyflame writes: created exclusively, never through a symbolic link,
 * always regular files, written in full and put in place at the end.
 *
 * An output is an unnamed file (O_TMPFILE) in the directory of its target, linked into
 * place once complete; where the file system has no O_TMPFILE, a hidden file created with
 * O_EXCL beside it.  A run killed before the end leaves nothing behind.  The raw log is
 * the exception: it must survive a SIGKILL, so it gets a name from the start, one nobody
 * else holds (created with O_EXCL|O_NOFOLLOW).
 *
 * pyflame removes or replaces only what it created: a target that is a symbolic link, a
 * device, a FIFO, a socket or a directory is refused, and so is another user's file in a
 * shared (sticky, world-writable) directory.  Every name is resolved relative to the
 * directory opened at the start, so a directory swapped meanwhile changes nothing.
 */
#ifndef PYFLAME_OUTPUTS_H
#define PYFLAME_OUTPUTS_H

#include <stddef.h>
#include <sys/types.h>

#include "pyflame/profile.h"
#include "pyflame/writers.h"

struct out_file {
	enum pf_format format;
	char *final;		/* where it ends up; NULL for standard output */
	char *base;		/* final's last component, relative to dirfd */
	char *tmp;		/* a hidden name we created in dirfd, or NULL */
	char *path;		/* where its bytes are now (final or dir/tmp); NULL if unnamed */
	int fd;			/* the file, open for writing; -1 when closed */
	int dirfd;		/* final's directory (O_PATH); -1 for standard output */
	int named;		/* final itself is our file (raw log): remove it on discard */
	mode_t mode;		/* what a new file gets here: 0666 & ~umask */
	dev_t dev;		/* what we created, to check a name still holds it */
	ino_t ino;
};

/*
 * Prepare an output: for a path, check the target (absent, or a regular file that may be
 * replaced) and create its unnamed file, so an unwritable path fails now, before any work;
 * for "-", standard output.  Reports the error itself; 0 or -errno.
 */
int outputs__open(struct out_file *f, const char *path, enum pf_format format);
/*
 * The raw log: created under its own name at once.  asked: the user named it (-o X.raw);
 * an existing regular file there is replaced at the end (outputs__commit), never
 * truncated.  Otherwise path is only a wish: if it is taken, "STEM-XXXXXX.raw" beside it
 * is used instead, and f->final says which.  Reports the error itself; 0 or -errno.
 */
int outputs__open_raw(struct out_file *f, const char *path, int asked);
/* Change where a prepared output ends up (same directory; it must not be named yet). */
int outputs__retarget(struct out_file *f, const char *path);
/*
 * Write p to every prepared output and put each in place with commit(arg, i) (NULL:
 * outputs__commit).  written[] collects the paths written (borrowed from files).  Reports
 * each failure; 0 or the last error.
 */
typedef int (*outputs_commit_fn)(void *arg, size_t i);
int outputs__write(struct out_file *files, size_t n, const struct profile *p,
		   const struct output_opts *oo, const char **written, size_t *nwritten,
		   outputs_commit_fn commit, void *arg);
/*
 * Put a finished output in place: give it the mode a new file gets, check the target
 * again, and link it there (replacing a regular file atomically).  Closes its descriptor.
 * Does not report; 0 or -errno (-EEXIST: the target is no longer something we may replace).
 */
int outputs__commit(struct out_file *f);
/* Remove what outputs__open created and was not put in place; free f. */
void outputs__discard(struct out_file *f);
/* Close and free f without removing anything (another process owns the files). */
void outputs__close(struct out_file *f);

#endif
