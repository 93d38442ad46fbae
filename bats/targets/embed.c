/*
 * embed.c - a host program that embeds CPython, for the embedding tests.
 *
 *   embed link            linked against libpython; runs the script at once
 *   embed dlopen LIBPATH  starts without Python, dlopen()s LIBPATH after 0.3 s, then runs it
 *
 * The script spins in embedded_hot() for about 1.5 s.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char script[] =
	"import time\n"
	"def embedded_hot(secs):\n"
	"    end = time.time() + secs\n"
	"    while time.time() < end: pass\n"
	"embedded_hot(1.5)\n";

#ifdef EMBED_LINKED
#include <Python.h>
#endif

static int run_dlopen(const char *lib)
{
	struct timespec ts = { 0, 300000000 };
	void (*init)(void);
	int (*run)(const char *);
	int (*fini)(void);
	void *h;

	nanosleep(&ts, NULL);	/* a host that loads Python late, as plugins do */
	h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "embed: %s\n", dlerror());
		return 2;
	}
	init = (void (*)(void))dlsym(h, "Py_Initialize");
	run = (int (*)(const char *))dlsym(h, "PyRun_SimpleString");
	fini = (int (*)(void))dlsym(h, "Py_FinalizeEx");
	if (!init || !run || !fini)
		return 2;
	init();
	if (run(script))
		return 1;
	return fini() ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "dlopen"))
		return run_dlopen(argv[2]);
#ifdef EMBED_LINKED
	if (argc == 2 && !strcmp(argv[1], "link")) {
		Py_Initialize();
		if (PyRun_SimpleString(script))
			return 1;
		return Py_FinalizeEx() ? 1 : 0;
	}
#endif
	fprintf(stderr, "usage: embed link | embed dlopen LIBPATH\n");
	return 2;
}
