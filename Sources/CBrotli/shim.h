// CBrotli: Google's brotli decoder (and encoder, for tests and servers) for Swift.
#ifndef CBROTLI_SHIM_H
#define CBROTLI_SHIM_H

#include <brotli/decode.h>
#include <brotli/encode.h>

#endif
