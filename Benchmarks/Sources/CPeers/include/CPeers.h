// The benchmarks' C peers: the same work as the Swift benchmarks, in C, for side-by-side figures.
#ifndef CPEERS_H
#define CPEERS_H
#include <stddef.h>

/// Parses `iterations` copies of one HTTP response with llhttp, fed in pieces of `piece`
/// bytes (0: whole). Returns the number of complete messages (== iterations when all parsed).
long peer_llhttp_parse(const unsigned char *data, size_t length, size_t piece, long iterations);

/// `count` closures handed from a producer thread to a libev loop thread through a locked
/// queue woken by ev_async (EvLoop's `execute`). Returns how many ran.
long peer_libev_execute(long count);

/// `count` zero-delay timers started and fired on one libev loop. Returns how many fired.
long peer_libev_timers(long count);

/// `rounds` one-byte round trips over a socketpair, both ends on one libev loop.
long peer_libev_pingpong(long rounds);

/// Bytes malloc has handed out and not had back (glibc's mallinfo2().uordblks).
size_t peer_heap_in_use(void);

#endif
