// COpenSSL: OpenSSL (libssl-dev) for Swift. OpenSSL spells several calls as macros over
// SSL_ctrl, which Swift cannot import; each becomes a small static inline function here,
// with the ALPN selection callback the server needs. Nothing else lives in this file.
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static inline long copenssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long copenssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
/// Partial writes, and a retried write may come from another address (the write queue
/// moves nothing, but the first direct write is from the caller's buffer).
static inline long copenssl_ctx_set_nonblocking_modes(SSL_CTX *ctx) {
    return SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                                 | SSL_MODE_RELEASE_BUFFERS);
}
/// No renegotiation. (A peer that closes without close_notify stays an error OpenSSL reports,
/// told apart by `copenssl_is_unexpected_eof`: HTTP decides whether it cut a message.)
static inline void copenssl_ctx_set_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
}
/// Whether the oldest queued error is "the peer closed the TCP stream without close_notify".
static inline int copenssl_is_unexpected_eof(void) {
    unsigned long code = ERR_peek_error();
    return code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}
/// Read whole socket buffers at once (one recv for a record's header and body, not two).
static inline void copenssl_ctx_set_read_ahead(SSL_CTX *ctx) { SSL_CTX_set_read_ahead(ctx, 1); }
/// Resumption by tickets only (stateless: no shared cache, no lock between loops, nothing to
/// expire), as nginx does by default; the session ID is still issued for old clients.
static inline long copenssl_ctx_set_session_cache_server(SSL_CTX *ctx) {
    return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_AUTO_CLEAR
                                               | SSL_SESS_CACHE_NO_INTERNAL_STORE);
}
static inline long copenssl_ctx_set_session_cache_client(SSL_CTX *ctx) {
    return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
}

/// Server side of ALPN (RFC 7301): picks `http/1.1` when the client offers it; a client that
/// offers only protocols we do not speak is refused with `no_application_protocol`.
static inline int copenssl_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                              const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char ours[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, ours, sizeof ours, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}
static inline void copenssl_ctx_select_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, copenssl_alpn_select_http11, NULL);
}

/// OpenSSL's socket BIO writes with write(2): a peer that closed would raise SIGPIPE and kill
/// the process. This method is the socket BIO with send(MSG_NOSIGNAL) and recv instead;
/// everything else (create, destroy, ctrl) is the socket BIO's own. Made once per process.
static inline int copenssl_socket_write(BIO *bio, const char *data, int length) {
    int fd = -1;
    BIO_get_fd(bio, &fd);
    errno = 0;
    int sent = (int)send(fd, data, (size_t)length, MSG_NOSIGNAL);
    BIO_clear_retry_flags(bio);
    if (sent <= 0 && BIO_sock_should_retry(sent)) BIO_set_retry_write(bio);
    return sent;
}
static inline int copenssl_socket_read(BIO *bio, char *data, int length) {
    int fd = -1;
    BIO_get_fd(bio, &fd);
    errno = 0;
    int received = (int)recv(fd, data, (size_t)length, 0);
    BIO_clear_retry_flags(bio);
    if (received <= 0) {
        if (BIO_sock_should_retry(received)) BIO_set_retry_read(bio);
        else if (received == 0) BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
    }
    return received;
}
static inline int copenssl_socket_puts(BIO *bio, const char *text) {
    return copenssl_socket_write(bio, text, (int)strlen(text));
}
static inline BIO_METHOD *copenssl_make_socket_method(void) {
    const BIO_METHOD *socket = BIO_s_socket();
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                      "httpq socket");
    if (method == NULL) return NULL;
    BIO_meth_set_write(method, copenssl_socket_write);
    BIO_meth_set_read(method, copenssl_socket_read);
    BIO_meth_set_puts(method, copenssl_socket_puts);
    BIO_meth_set_ctrl(method, BIO_meth_get_ctrl(socket));
    BIO_meth_set_create(method, BIO_meth_get_create(socket));
    BIO_meth_set_destroy(method, BIO_meth_get_destroy(socket));
    return method;
}
static inline long copenssl_bio_set_fd(BIO *bio, int fd) { return BIO_set_fd(bio, fd, BIO_NOCLOSE); }

#endif
