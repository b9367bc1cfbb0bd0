#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CLinux.h"

int clinux_accept4(int fd, void *address, void *length, int flags) {
    return accept4(fd, (struct sockaddr *)address, (socklen_t *)length, flags);
}

int clinux_open_beneath(int root, const char *path) {
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
}

int clinux_open_directory_beneath(int root, const char *path) {
    struct open_how how = {
        .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
}

static void clinux_sigpipe_noop(int signal) { (void)signal; }

int clinux_guard_sigpipe(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) != 0) return -1;
    if (current.sa_handler != SIG_DFL || (current.sa_flags & SA_SIGINFO)) return 0;
    struct sigaction noop = {0};
    noop.sa_handler = clinux_sigpipe_noop;
    noop.sa_flags = SA_RESTART;
    sigemptyset(&noop.sa_mask);
    return sigaction(SIGPIPE, &noop, NULL) == 0 ? 1 : -1;
}
