#ifndef ZOHO_OAUTH_DETACH_H
#define ZOHO_OAUTH_DETACH_H

#include <stdbool.h>

/*
 * Start a program that outlives us and owes us nothing (a refresh ahead
 * of time, behind a caller that was served): a grandchild in a session of
 * its own, so it has no controlling terminal and no terminal's signal
 * reaches it; stdin, stdout and stderr on /dev/null, so that a caller's
 * pipe ($(zoho-oauth token)) ends when the caller does; every other
 * descriptor closed but keep_fd (-1: none), which becomes descriptor 3;
 * the working directory /, the signal mask and dispositions reset, idle
 * CPU and I/O priority. It is not waited for; init reaps it. Returns
 * whether the program could be started as far as can be told here (it
 * exists and the forks worked); nothing is said.
 */
bool detach_start(const char *path, char *const argv[], char *const envp[], int keep_fd);

#endif
