/* linetable.h - map a bytecode offset to a source line, for each CPython line-table format. */
#ifndef PYFLAME_LINETABLE_H
#define PYFLAME_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

enum linetable_kind {
	LINETABLE_LNOTAB27,	/* 2.7: co_lnotab, unsigned line increments */
	LINETABLE_LNOTAB36,	/* 3.6-3.9: co_lnotab, signed (int8) line increments */
	LINETABLE_310,		/* 3.10: co_linetable (PEP 626) */
	LINETABLE_311,		/* 3.11+: location table */
};

/*
 * Return the line of the instruction at byte offset addrq in code whose first line is
 * firstlineno, as CPython's PyCode_Addr2Line() would; -1 for "no line".  addrq < 0 (a
 * frame that has not started) gives firstlineno.  The table is untrusted: every read is
 * bounded by len and malformed input yields a line, never an out-of-bounds read.
 */
int linetable__line(enum linetable_kind kind, const uint8_t *tab, size_t len,
		    int firstlineno, int64_t addrq);

#endif
