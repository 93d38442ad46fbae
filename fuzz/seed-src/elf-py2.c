/* elf-py2.c - a tiny python2.7 look-alike executable. */
void *interp_head = 0, *_PyThreadState_Current = 0;
int PyCode_Type = 1, PyString_Type = 2;
const char libdir[] = "/usr/lib/python2.7";
int main(void) { return 0; }
