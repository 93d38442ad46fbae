/*
 * keeper.h - the unconfined part of a sandboxed session, which alone can put output files
 * in place.
 *
 * Before the sampler is confined it forks the keeper: a process of its own session (no
 * terminal or process-group signal reaches it) that holds the outputs and the raw log,
 * created by then, and nothing else.  The confined sampler writes into the descriptors it
 * was handed and asks the keeper, by index, to put a finished output in place or to remove
 * the raw log; it cannot name a path, so a compromised sampler can at worst publish an
 * incomplete profile under the name the user chose.  If the sampler dies, the keeper
 * removes what was never put in place (unnamed files vanish by themselves) but leaves the
 * raw log for `pyflame report`, and exits.
 */
#ifndef PYFLAME_KEEPER_H
#define PYFLAME_KEEPER_H

#include <stddef.h>

#include "pyflame/outputs.h"

struct keeper;

/*
 * Fork the keeper of files[0..n) and raw (may be NULL; index n).  The caller keeps its
 * copies open for writing.  NULL with errno when it cannot be started.
 */
struct keeper *keeper__start(struct out_file *files, size_t n, struct out_file *raw);
/* outputs__commit() of file i, done by the keeper; 0 or -errno. */
int keeper__commit(struct keeper *k, size_t i);
/* outputs__discard() of file i (the raw log: remove it), done by the keeper; 0 or -errno. */
int keeper__discard(struct keeper *k, size_t i);
/* Let the keeper go (it discards whatever was not put in place); NULL is a no-op. */
void keeper__free(struct keeper *k);

#endif
