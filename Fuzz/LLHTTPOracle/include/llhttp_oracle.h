#ifndef LLHTTP_ORACLE_H
#define LLHTTP_ORACLE_H
#include <stddef.h>

/// Parses `data` with llhttp in its strict (default) mode, as one stream of pipelined
/// requests (`is_request` 1) or responses to GET (0), and writes a description of what it
/// found into `out` (NUL-terminated, truncated at `capacity`), in the form the differential
/// fuzz target writes for HTTPQ:
///   per complete message: "message\n", "start METHOD TARGET HTTP/M.N\n" (or
///   "start HTTP/M.N STATUS\n"), "field NAME\tVALUE\n"..., "body HEX\n", "trailer ...\n"...
///   at the end: "end complete\n" | "end partial\n" | "end upgrade\n" | "end error NAME\n".
/// Returns the length written.
size_t llhttp_oracle_describe(int is_request, const unsigned char *data, size_t length, char *out, size_t capacity);
#endif
