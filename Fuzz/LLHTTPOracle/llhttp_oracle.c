// The llhttp side of the differential fuzz target. scripts/fuzz.sh compiles it together
// with Debian's node-llhttp sources (nothing of llhttp is copied into this repository).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <llhttp.h>
#include "llhttp_oracle.h"

/// A growable byte buffer.
typedef struct { char *bytes; size_t length, capacity; } text_t;

static void text_put(text_t *t, const char *at, size_t n) {
    if (t->length + n + 1 > t->capacity) {
        size_t capacity = (t->length + n + 1) * 2;
        t->bytes = realloc(t->bytes, capacity);
        t->capacity = capacity;
    }
    memcpy(t->bytes + t->length, at, n);
    t->length += n;
    t->bytes[t->length] = 0;
}
static void text_str(text_t *t, const char *s) { text_put(t, s, strlen(s)); }

typedef struct {
    text_t out;                 // the whole description
    text_t url, name, value;    // spans of the current message, accumulated across callbacks
    text_t fields, trailers, body;
    int in_trailers, have_field;
} oracle_t;

static oracle_t *of(llhttp_t *p) { return (oracle_t *)p->data; }
static int is_ows(char c) { return c == ' ' || c == '\t'; }

static void flush_field(oracle_t *o) {
    if (!o->have_field) return;
    size_t start = 0, end = o->value.length;
    while (start < end && is_ows(o->value.bytes[start])) start++;
    while (end > start && is_ows(o->value.bytes[end - 1])) end--;
    text_t *target = o->in_trailers ? &o->trailers : &o->fields;
    text_str(target, o->in_trailers ? "trailer " : "field ");
    text_put(target, o->name.bytes ? o->name.bytes : "", o->name.length);
    text_str(target, "\t");
    text_put(target, o->value.bytes ? o->value.bytes + start : "", end - start);
    text_str(target, "\n");
    o->have_field = 0;
    o->name.length = o->value.length = 0;
}

static int on_message_begin(llhttp_t *p) {
    oracle_t *o = of(p);
    o->url.length = o->name.length = o->value.length = 0;
    o->fields.length = o->trailers.length = o->body.length = 0;
    o->in_trailers = o->have_field = 0;
    return 0;
}
static int on_url(llhttp_t *p, const char *at, size_t n) { text_put(&of(p)->url, at, n); return 0; }
static int on_field(llhttp_t *p, const char *at, size_t n) {
    oracle_t *o = of(p);
    o->have_field = 1;
    text_put(&o->name, at, n);
    return 0;
}
static int on_value(llhttp_t *p, const char *at, size_t n) { text_put(&of(p)->value, at, n); return 0; }
static int on_value_complete(llhttp_t *p) { flush_field(of(p)); return 0; }
static int on_headers_complete(llhttp_t *p) {
    flush_field(of(p));
    of(p)->in_trailers = 1;
    return 0;
}
static int on_body(llhttp_t *p, const char *at, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char pair[2] = { hex[(unsigned char)at[i] >> 4], hex[(unsigned char)at[i] & 15] };
        text_put(&of(p)->body, pair, 2);
    }
    return 0;
}
static int on_message_complete(llhttp_t *p) {
    oracle_t *o = of(p);
    flush_field(o);
    char line[64];
    text_str(&o->out, "message\nstart ");
    if (p->type == HTTP_REQUEST) {
        text_str(&o->out, llhttp_method_name((llhttp_method_t)p->method));
        text_str(&o->out, " ");
        text_put(&o->out, o->url.bytes ? o->url.bytes : "", o->url.length);
        snprintf(line, sizeof line, " HTTP/%d.%d\n", p->http_major, p->http_minor);
    } else {
        snprintf(line, sizeof line, "HTTP/%d.%d %d\n", p->http_major, p->http_minor, p->status_code);
    }
    text_str(&o->out, line);
    text_put(&o->out, o->fields.bytes ? o->fields.bytes : "", o->fields.length);
    text_str(&o->out, "body ");
    text_put(&o->out, o->body.bytes ? o->body.bytes : "", o->body.length);
    text_str(&o->out, "\n");
    text_put(&o->out, o->trailers.bytes ? o->trailers.bytes : "", o->trailers.length);
    return 0;
}

size_t llhttp_oracle_describe(int is_request, const unsigned char *data, size_t length, char *out, size_t capacity) {
    llhttp_settings_t settings;
    llhttp_settings_init(&settings);
    settings.on_message_begin = on_message_begin;
    settings.on_url = on_url;
    settings.on_header_field = on_field;
    settings.on_header_value = on_value;
    settings.on_header_value_complete = on_value_complete;
    settings.on_headers_complete = on_headers_complete;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
    oracle_t oracle;
    memset(&oracle, 0, sizeof oracle);
    llhttp_t parser;
    llhttp_init(&parser, is_request ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
    parser.data = &oracle;
    llhttp_errno_t error = llhttp_execute(&parser, (const char *)data, length);
    if (error == HPE_OK) error = llhttp_finish(&parser);
    if (error == HPE_PAUSED_UPGRADE) {
        text_str(&oracle.out, "end upgrade\n");
    } else if (error == HPE_INVALID_EOF_STATE) {
        text_str(&oracle.out, "end partial\n"); // input ended inside a message
    } else if (error != HPE_OK) {
        text_str(&oracle.out, "end error ");
        text_str(&oracle.out, llhttp_errno_name(error));
        text_str(&oracle.out, "\n");
    } else {
        text_str(&oracle.out, "end complete\n");
    }
    size_t n = oracle.out.length < capacity - 1 ? oracle.out.length : capacity - 1;
    memcpy(out, oracle.out.bytes, n);
    out[n] = 0;
    free(oracle.out.bytes); free(oracle.url.bytes); free(oracle.name.bytes); free(oracle.value.bytes);
    free(oracle.fields.bytes); free(oracle.trailers.bytes); free(oracle.body.bytes);
    return n;
}
