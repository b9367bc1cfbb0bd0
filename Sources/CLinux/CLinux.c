#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CLinux.h"

int clinux_accept4(int fd, void *address, void *length, int flags) {
    return accept4(fd, (struct sockaddr *)address, (socklen_t *)length, flags);
}

/// Set once openat2 answered ENOSYS: later opens walk components without asking again.
static atomic_int openat2_missing;

int clinux_open_beneath_by_components(int root, const char *path, int flags) {
    if (path[0] == '/') { errno = EXDEV; return -1; }
    char copy[PATH_MAX];
    size_t length = strlen(path);
    if (length >= sizeof copy) { errno = ENAMETOOLONG; return -1; }
    memcpy(copy, path, length + 1);
    // A component is opened as a directory once a later one shows it is not the last; the
    // last is opened with `flags`. Every open refuses a symbolic link (O_NOFOLLOW).
    int directory = root;
    char *rest = copy, *name, *pending = NULL;
    while ((name = strsep(&rest, "/")) != NULL) {
        if (name[0] == 0 || strcmp(name, ".") == 0) continue;
        if (strcmp(name, "..") == 0) {
            if (directory != root) close(directory);
            errno = EXDEV;
            return -1;
        }
        if (pending != NULL) {
            int next = openat(directory, pending, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int saved = errno;
            if (directory != root) close(directory);
            if (next < 0) { errno = saved == ELOOP ? EXDEV : saved; return -1; }
            directory = next;
        }
        pending = name;
    }
    int fd = openat(directory, pending != NULL ? pending : ".", flags | (pending != NULL ? O_NOFOLLOW : 0));
    int saved = errno;
    if (directory != root) close(directory);
    if (fd < 0) errno = saved == ELOOP ? EXDEV : saved;
    return fd;
}

static int open_beneath(int root, const char *path, int flags) {
    // One plain name (no '/', not "." or ".."): only the name itself can lead out, by being
    // a symbolic link, which O_NOFOLLOW refuses (ELOOP); openat2 then judges the link as
    // usual. The same answer as openat2 alone, for ~180 ns less kernel time per open (the
    // resolve flags' checks): a file at the root of a served tree is the common request.
    if (path[0] != 0 && strchr(path, '/') == NULL && strcmp(path, ".") != 0 && strcmp(path, "..") != 0) {
        int fd = openat(root, path, flags | O_NOFOLLOW);
        if (fd >= 0 || errno != ELOOP) return fd;
    }
    if (!atomic_load_explicit(&openat2_missing, memory_order_relaxed)) {
        struct open_how how = {
            .flags = (unsigned long long)flags,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
        if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return fd;
        if (errno == ENOSYS) atomic_store_explicit(&openat2_missing, 1, memory_order_relaxed);
    }
    return clinux_open_beneath_by_components(root, path, flags);
}

int clinux_open_beneath(int root, const char *path) {
    return open_beneath(root, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

int clinux_open_directory_beneath(int root, const char *path) {
    return open_beneath(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

int clinux_die_of_sigpipe(void) {
    struct sigaction current;
    if (sigaction(SIGPIPE, NULL, &current) != 0) return -1;
    if (current.sa_handler == SIG_IGN) return 0;
    struct sigaction initial = {0};
    initial.sa_handler = SIG_DFL;
    sigemptyset(&initial.sa_mask);
    if (sigaction(SIGPIPE, &initial, NULL) != 0) return -1;
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &pipe, NULL);
    raise(SIGPIPE);
    return -1;
}
