/* cmd_doctor.h - `pyflame doctor`: what matters for profiling on this machine. */
#ifndef PYFLAME_CMD_DOCTOR_H
#define PYFLAME_CMD_DOCTOR_H

/* Print the findings on stdout; 0 if pyflame run can work here, 1 if not. */
int cmd_doctor(void);

#endif
