#ifndef CLINUX_H
#define CLINUX_H

/// Linux calls Swift's Glibc module does not import (GNU extensions and raw syscalls).
/// The only C the socket and file code needs; nothing else lives here.

/// accept4(2): accepts one connection with SOCK_NONBLOCK / SOCK_CLOEXEC in one call.
/// (Addresses are untyped here so this header includes no system header: those belong to
/// Swift's Glibc module, and a second owner would hide them from Swift.)
int clinux_accept4(int fd, void *address, void *length, int flags);

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, read-only, close-on-exec:
/// opens `path` relative to the directory `root` and fails with EXDEV when the path would
/// leave it, by ".." or by a symbolic link. -1 with errno ENOSYS on kernels before 5.6.
int clinux_open_beneath(int root, const char *path);
/// Opens the directory `path` beneath `root` (as `clinux_open_beneath`), to create files in.
int clinux_open_directory_beneath(int root, const char *path);

/// Makes SIGPIPE harmless for the whole process without hiding it from programs it runs:
/// when SIGPIPE still has its default action (terminate), installs a handler that does
/// nothing (SA_RESTART), so a write to a socket whose peer left fails with EPIPE instead of
/// killing the process. A handler, not SIG_IGN: exec resets handlers but keeps ignored
/// signals, so `httpq ... | head` children still die of SIGPIPE as shells expect. A
/// disposition the host program chose (SIG_IGN or its own handler) is left alone.
/// Returns 1 when it installed the handler, 0 when it left the disposition, -1 on error.
int clinux_guard_sigpipe(void);
#endif
