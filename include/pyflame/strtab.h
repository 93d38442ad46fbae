/* strtab.h - a string interner: equal strings get equal small ids. */
#ifndef PYFLAME_STRTAB_H
#define PYFLAME_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab;

struct strtab *strtab__new(void);
void strtab__free(struct strtab *st);
/* Intern len bytes (need not be NUL-terminated; stored with a NUL).  Ids start at 0. */
uint32_t strtab__intern(struct strtab *st, const char *s, size_t len);
uint32_t strtab__intern_str(struct strtab *st, const char *s);
/* Borrowed; valid until strtab__free(). */
const char *strtab__get(const struct strtab *st, uint32_t id);
size_t strtab__len(const struct strtab *st, uint32_t id);
size_t strtab__count(const struct strtab *st);

#endif
