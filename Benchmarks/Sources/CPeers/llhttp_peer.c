// llhttp, built from the sources Debian ships in node-llhttp (not copied into this repository).
#include "CPeers.h"
#include </usr/share/include/llhttp/llhttp.h>

static int on_message_complete(llhttp_t *parser) {
    (*(long *)parser->data)++;
    return HPE_PAUSED; // stop at the message end, as HTTPQ does
}
static int on_span(llhttp_t *parser, const char *at, size_t length) { (void)parser; (void)at; (void)length; return 0; }

long peer_llhttp_parse(const unsigned char *data, size_t length, size_t piece, long iterations) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_complete = on_message_complete;
    settings.on_status = on_span;
    settings.on_header_field = on_span;
    settings.on_header_value = on_span;
    settings.on_body = on_span;
    long complete = 0;
    llhttp_t parser;
    if (piece == 0) piece = length;
    for (long i = 0; i < iterations; i++) {
        llhttp_init(&parser, HTTP_RESPONSE, &settings);
        parser.data = &complete;
        for (size_t offset = 0; offset < length; offset += piece) {
            size_t n = length - offset < piece ? length - offset : piece;
            llhttp_errno_t err = llhttp_execute(&parser, (const char *)data + offset, n);
            if (err == HPE_PAUSED) { llhttp_resume(&parser); break; }
            if (err != HPE_OK) return -1;
        }
    }
    return complete;
}
