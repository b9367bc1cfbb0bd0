// The reactor benchmarks' work written directly on libev.
#include "CPeers.h"
#include <ev.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <fcntl.h>

// ---- execute: a locked queue of tasks, one ev_async wake-up per batch ----
typedef struct { void (*fn)(void *); void *arg; } task_t;
typedef struct {
    struct ev_loop *loop;
    ev_async async;
    pthread_mutex_t lock;
    task_t *pending; long count, capacity;
    int wake_pending;
    long ran, target;
} exec_ctx;

static void run_task(void *arg) { exec_ctx *ctx = arg; if (++ctx->ran == ctx->target) ev_break(ctx->loop, EVBREAK_ALL); }

static void async_cb(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop; (void)revents;
    exec_ctx *ctx = w->data;
    pthread_mutex_lock(&ctx->lock);
    task_t *batch = ctx->pending; long n = ctx->count;
    ctx->pending = malloc(sizeof(task_t) * 64); ctx->count = 0; ctx->capacity = 64;
    ctx->wake_pending = 0;
    pthread_mutex_unlock(&ctx->lock);
    for (long i = 0; i < n; i++) batch[i].fn(batch[i].arg);
    free(batch);
}

static void submit(exec_ctx *ctx, void (*fn)(void *), void *arg) {
    pthread_mutex_lock(&ctx->lock);
    if (ctx->count == ctx->capacity) { ctx->capacity *= 2; ctx->pending = realloc(ctx->pending, sizeof(task_t) * ctx->capacity); }
    ctx->pending[ctx->count++] = (task_t){ fn, arg };
    int wake = !ctx->wake_pending; ctx->wake_pending = 1;
    pthread_mutex_unlock(&ctx->lock);
    if (wake) ev_async_send(ctx->loop, &ctx->async);
}

static void *producer(void *arg) {
    exec_ctx *ctx = arg;
    for (long i = 0; i < ctx->target; i++) submit(ctx, run_task, ctx);
    return NULL;
}

long peer_libev_execute(long count) {
    exec_ctx ctx = { .loop = ev_loop_new(EVFLAG_AUTO), .target = count };
    pthread_mutex_init(&ctx.lock, NULL);
    ctx.pending = malloc(sizeof(task_t) * 64); ctx.capacity = 64;
    ev_async_init(&ctx.async, async_cb); ctx.async.data = &ctx;
    ev_async_start(ctx.loop, &ctx.async);
    pthread_t thread; pthread_create(&thread, NULL, producer, &ctx);
    ev_run(ctx.loop, 0);
    pthread_join(thread, NULL);
    ev_async_stop(ctx.loop, &ctx.async);
    ev_loop_destroy(ctx.loop);
    free(ctx.pending);
    pthread_mutex_destroy(&ctx.lock);
    return ctx.ran;
}

// ---- timers: heap-allocated watchers, as EvLoop allocates one per timer ----
typedef struct { ev_timer timer; long *fired; } timer_box;
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)revents;
    timer_box *box = (timer_box *)w;
    (*box->fired)++;
    free(box);
    (void)loop;
}

long peer_libev_timers(long count) {
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    long fired = 0;
    for (long i = 0; i < count; i++) {
        timer_box *box = malloc(sizeof(timer_box));
        box->fired = &fired;
        ev_timer_init(&box->timer, timer_cb, 0., 0.);
        ev_timer_start(loop, &box->timer);
    }
    ev_run(loop, 0);
    ev_loop_destroy(loop);
    return fired;
}

// ---- ping-pong over a socketpair ----
typedef struct { ev_io a, b; int fa, fb; long rounds, done; } pingpong;
static void side_a(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    pingpong *p = w->data; char c;
    if (read(p->fa, &c, 1) != 1) return;
    if (++p->done == p->rounds) { ev_io_stop(loop, &p->a); ev_io_stop(loop, &p->b); return; }
    if (write(p->fa, &c, 1) != 1) abort();
}
static void side_b(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop; (void)revents;
    pingpong *p = w->data; char c;
    if (read(p->fb, &c, 1) != 1) return;
    if (write(p->fb, &c, 1) != 1) abort();
}

long peer_libev_pingpong(long rounds) {
    int fds[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    pingpong p = { .fa = fds[0], .fb = fds[1], .rounds = rounds };
    ev_io_init(&p.a, side_a, fds[0], EV_READ); p.a.data = &p;
    ev_io_init(&p.b, side_b, fds[1], EV_READ); p.b.data = &p;
    ev_io_start(loop, &p.a); ev_io_start(loop, &p.b);
    char c = 'x';
    if (write(fds[0], &c, 1) != 1) abort();
    ev_run(loop, 0);
    ev_loop_destroy(loop);
    close(fds[0]); close(fds[1]);
    return p.done;
}
