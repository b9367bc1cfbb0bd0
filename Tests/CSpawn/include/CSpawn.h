#ifndef CSPAWN_H
#define CSPAWN_H
#include <spawn.h>

/// Adds "close every descriptor from `low` up" to a spawn's file actions (glibc 2.34+),
/// so a child never inherits another test's sockets.
int cspawn_addclosefrom(posix_spawn_file_actions_t *actions, int low);

/// pipe2(fds, O_CLOEXEC).
int cspawn_pipe_cloexec(int fds[2]);
#endif
