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
#endif
