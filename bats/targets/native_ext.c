/*
 * native_ext.c - a C extension module for bats/140-native.bats, built in the test against
 * the interpreter's own headers: pyflame_ext.c_func(fn, n) calls ext_loop(), which calls
 * fn() n times.  Both C functions keep their frames (not inlined) and their .symtab names.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

__attribute__((noinline, noclone, used)) long ext_loop(PyObject *fn, long n);
__attribute__((noinline, noclone, used)) PyObject *c_func(PyObject *self, PyObject *args);

long ext_loop(PyObject *fn, long n)
{
	long done = 0;

	for (long i = 0; i < n; i++) {
		PyObject *r = PyObject_CallObject(fn, NULL);

		if (!r)
			return -1;
		Py_DECREF(r);
		done++;
	}
	__asm__ volatile("" ::: "memory");	/* not a tail call */
	return done;
}

PyObject *c_func(PyObject *self, PyObject *args)
{
	PyObject *fn;
	long n, done;

	(void)self;
	if (!PyArg_ParseTuple(args, "Ol", &fn, &n))
		return NULL;
	done = ext_loop(fn, n);
	if (done < 0)
		return NULL;
	return PyLong_FromLong(done);
}

static PyMethodDef methods[] = {
	{ "c_func", c_func, METH_VARARGS, "call fn() n times from C" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "pyflame_ext", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_pyflame_ext(void)
{
	return PyModule_Create(&module);
}
