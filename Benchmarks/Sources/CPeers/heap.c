// Heap accounting for the memory benchmarks (malloc.h is not in Swift's Glibc module).
#include "CPeers.h"
#include <malloc.h>

size_t peer_heap_in_use(void) { return mallinfo2().uordblks; }
