// CEv: libev for Swift. libev's watcher set-up is macros, which Swift cannot import;
// each becomes a small static inline function here. Nothing else lives in this file.
#ifndef CEV_SHIM_H
#define CEV_SHIM_H

#include <ev.h>

static inline void cev_io_init(ev_io *w, void (*cb)(struct ev_loop *, ev_io *, int), int fd, int events) {
    ev_io_init(w, cb, fd, events);
}
static inline void cev_io_set(ev_io *w, int fd, int events) { ev_io_set(w, fd, events); }
static inline void cev_timer_init(ev_timer *w, void (*cb)(struct ev_loop *, ev_timer *, int), ev_tstamp after, ev_tstamp repeat) {
    ev_timer_init(w, cb, after, repeat);
}
static inline void cev_timer_set(ev_timer *w, ev_tstamp after, ev_tstamp repeat) { ev_timer_set(w, after, repeat); }
static inline void cev_async_init(ev_async *w, void (*cb)(struct ev_loop *, ev_async *, int)) { ev_async_init(w, cb); }
static inline void cev_signal_init(ev_signal *w, void (*cb)(struct ev_loop *, ev_signal *, int), int signum) {
    ev_signal_init(w, cb, signum);
}
static inline void cev_prepare_init(ev_prepare *w, void (*cb)(struct ev_loop *, ev_prepare *, int)) { ev_prepare_init(w, cb); }
static inline void cev_check_init(ev_check *w, void (*cb)(struct ev_loop *, ev_check *, int)) { ev_check_init(w, cb); }
static inline void cev_set_data(void *w, void *data) { ((ev_watcher *)w)->data = data; }
static inline void *cev_get_data(const void *w) { return ((const ev_watcher *)w)->data; }
static inline int cev_is_active(const void *w) { return ev_is_active((const ev_watcher *)w); }
static inline int cev_is_pending(const void *w) { return ev_is_pending((const ev_watcher *)w); }
static inline double cev_timer_remaining(struct ev_loop *loop, ev_timer *w) { return ev_timer_remaining(loop, w); }

static inline int cev_flag_auto(void) { return EVFLAG_AUTO; }
static inline int cev_flag_noenv(void) { return EVFLAG_NOENV; }
static inline int cev_flag_nosigmask(void) { return EVFLAG_NOSIGMASK; }
static inline int cev_read(void) { return EV_READ; }
static inline int cev_write(void) { return EV_WRITE; }
static inline int cev_error(void) { return EV_ERROR; }

#endif
