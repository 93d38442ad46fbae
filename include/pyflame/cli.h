/* cli.h - command-line parsing and subcommand dispatch. */
#ifndef PYFLAME_CLI_H
#define PYFLAME_CLI_H

/* Exit codes of pyflame's own failures (the command's own status passes through). */
#define PF_EXIT_USAGE     2
#define PF_EXIT_FAILURE   125
#define PF_EXIT_NOEXEC    126
#define PF_EXIT_NOTFOUND  127

int cli__main(int argc, char **argv);

#endif
