/* cmd_diff.h - `pyflame diff BASE NEW`: a differential flame graph of two profiles. */
#ifndef PYFLAME_CMD_DIFF_H
#define PYFLAME_CMD_DIFF_H

/* `pyflame diff [OPTIONS] BASE NEW`; argv[0] is "diff".  Returns pyflame's exit status. */
int cmd_diff_main(int argc, char **argv);

#endif
