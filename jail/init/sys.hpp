// The system calls zjail-init makes that libc's headers give no declaration
// to use without libc (sys.cpp).
#pragma once

extern "C" {
int zjail_pidfd_send_signal(int pidfd, int sig);
// Reaps the process behind `pidfd`: 0, or -1 with errno.
int zjail_waitid_pidfd(int pidfd);
// Execs the file open at `fd` (O_PATH); returns only on failure.
int zjail_execveat(int fd, char** argv, char** envp);
}
