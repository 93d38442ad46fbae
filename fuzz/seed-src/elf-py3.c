/* elf-py3.c - a tiny libpython3.12 look-alike: the symbols, section and strings pyprobe looks for. */
const unsigned long Py_Version = 0x030c01f0;
__attribute__((section(".PyRuntime"))) char _PyRuntime[32] = "xdebugpy\xf0\x01\x0c\x03";
int PyCode_Type = 1, PyUnicode_Type = 2, PyBytes_Type = 3;
const char libdir[] = "/usr/lib/python3.12";
int Py_GetVersion(void) { return 312; }
