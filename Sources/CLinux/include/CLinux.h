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
/// leave it, by ".." or by a symbolic link. Where openat2 is missing (kernels before 5.6,
/// seccomp profiles that refuse it with ENOSYS or EPERM, valgrind), falls back to
/// `clinux_open_beneath_by_components`.
int clinux_open_beneath(int root, const char *path);
/// Opens the directory `path` beneath `root` (as `clinux_open_beneath`), to create files in.
int clinux_open_directory_beneath(int root, const char *path);
/// The same rule without openat2: opens `path` one component at a time with openat and
/// O_NOFOLLOW, with `flags` for the last. Stricter than RESOLVE_BENEATH: ".." and every
/// symbolic link are refused (EXDEV), even a link that would stay beneath `root`; an
/// absolute path is refused too (EXDEV), as RESOLVE_BENEATH does.
int clinux_open_beneath_by_components(int root, const char *path, int flags);

/// Makes SIGPIPE harmless for the whole process without hiding it from programs it runs:
/// when SIGPIPE still has its default action (terminate), installs a handler that does
/// nothing (SA_RESTART), so a write to a socket whose peer left fails with EPIPE instead of
/// killing the process. A handler, not SIG_IGN: exec resets handlers but keeps ignored
/// signals, so `httpq ... | head` children still die of SIGPIPE as shells expect. A
/// disposition the host program chose (SIG_IGN or its own handler) is left alone.
/// Returns 1 when it installed the handler, 0 when it left the disposition, -1 on error.
int clinux_guard_sigpipe(void);

/// For a tool whose standard output was closed by its reader (`httpq ... | head`): ends the
/// process by SIGPIPE, as a filter that never guarded against it would end (the shell's
/// status 141; Go's runtime does the same for writes to descriptors 1 and 2). Restores
/// SIGPIPE's default action, unblocks it and raises it. Returns 0 without raising when the
/// process was started with SIGPIPE ignored (its parent asked for EPIPE instead), -1 on error.
int clinux_die_of_sigpipe(void);
#endif
