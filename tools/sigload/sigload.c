/* sigload — opens many hostile connections to consultd's HTTPS/WSS port and
 * reports, per kind, how many are open and when the server closed them.
 *
 *   sigload --port 8443 --idle 500 --junk 500 --mute 500 --half 500 [--probe 10] \
 *           --source-base 127.0.1.1 --sources 250 --duration-s 30
 *
 * Prints JSON lines on stdout: {"event":"status",...} every --report-ms,
 * {"event":"ramped",...} once every first connection has opened or failed,
 * and {"event":"summary",...} (with close codes, failure reasons and
 * lifetimes) at the end: after --duration-s, on SIGTERM/SIGINT, or when its
 * parent dies. Traffic goes only to the --host given (127.0.0.1 by default);
 * see sigload.h for the kinds. Exit status 0, or 2 on bad arguments. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sigload.h"

#define TICK_MS 10

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct {
    SlKind kind;
    guint source;
    gint64 due_us;
} SlRelaunch;

typedef struct {
    SlRun *run;
    int epfd;
    GPtrArray *live;   /* SlConn* */
    GHashTable *ended; /* SlConn* that ended during this batch of events */
    GQueue relaunch;   /* SlRelaunch*, by due time */
    guint n_initial, launched, serial;
    gboolean ramped;
} SlLoop;

static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* load, not trust: the target is ours */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

/* The first half of a real ClientHello record, produced through memory BIOs. */
static GBytes *partial_client_hello(SSL_CTX *ctx)
{
    SSL *ssl = SSL_new(ctx);
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_connect(ssl); /* wants to read the ServerHello: the ClientHello is in @out */
    char *data = NULL;
    long len = BIO_get_mem_data(out, &data);
    GBytes *half = g_bytes_new(data, len > 1 ? (gsize)len / 2 : 0);
    SSL_free(ssl);
    return half;
}

static void launch(SlLoop *l, SlKind kind, guint source)
{
    SlConn *c = sl_conn_start(l->run, l->epfd, kind, source, l->serial++);
    if (c)
        g_ptr_array_add(l->live, c);
}

/* The @i-th first connection: kinds interleaved, sources round robin. */
static void launch_initial(SlLoop *l, guint i)
{
    guint per_round = 0;
    SlKind order[SL_N_KINDS];
    guint round = 0;
    for (;;) {
        per_round = 0;
        for (int k = 0; k < SL_N_KINDS; k++)
            if (l->run->kinds[k].target > round)
                order[per_round++] = (SlKind)k;
        if (i < per_round)
            break;
        i -= per_round;
        round++;
    }
    launch(l, order[i], l->launched % l->run->n_sources);
}

static gint by_due(gconstpointer a, gconstpointer b, gpointer user)
{
    (void)user;
    gint64 x = ((const SlRelaunch *)a)->due_us, y = ((const SlRelaunch *)b)->due_us;
    return (x > y) - (x < y);
}

static void conn_ended(SlLoop *l, SlConn *c)
{
    guint delay_ms = sl_conn_kind(c) == SL_PROBE ? l->run->probe_interval_ms : l->run->reconnect_ms;
    if (delay_ms && !stop_requested) {
        SlRelaunch *r = g_new(SlRelaunch, 1);
        *r = (SlRelaunch){sl_conn_kind(c), sl_conn_source(c),
                          g_get_monotonic_time() + (gint64)delay_ms * 1000};
        g_queue_insert_sorted(&l->relaunch, r, by_due, NULL);
    }
    sl_conn_free(c);
}

static void handle_events(SlLoop *l, int timeout_ms)
{
    struct epoll_event evs[256];
    int n = epoll_wait(l->epfd, evs, G_N_ELEMENTS(evs), timeout_ms);
    for (int i = 0; i < n; i++) {
        SlConn *c = evs[i].data.ptr;
        if (g_hash_table_contains(l->ended, c))
            continue;
        if (!sl_conn_event(c, evs[i].events))
            g_hash_table_add(l->ended, c);
    }
    GHashTableIter it;
    gpointer c;
    g_hash_table_iter_init(&it, l->ended);
    while (g_hash_table_iter_next(&it, &c, NULL)) {
        g_ptr_array_remove_fast(l->live, c);
        conn_ended(l, c);
    }
    g_hash_table_remove_all(l->ended);
}

static void tick(SlLoop *l, gint64 now, guint rate)
{
    /* First connections at @rate per second. */
    guint due = (guint)MIN((guint64)l->n_initial,
                           (guint64)(now - l->run->start_us) * rate / G_USEC_PER_SEC + 1);
    for (; l->launched < due; l->launched++)
        launch_initial(l, l->launched);
    for (SlRelaunch *r; (r = g_queue_peek_head(&l->relaunch)) && r->due_us <= now;) {
        launch(l, r->kind, r->source);
        g_free(g_queue_pop_head(&l->relaunch));
    }
    for (guint i = 0; i < l->live->len;) {
        SlConn *c = g_ptr_array_index(l->live, i);
        if (sl_conn_tick(c, now)) {
            i++;
            continue;
        }
        g_ptr_array_remove_index_fast(l->live, i);
        conn_ended(l, c);
    }
    /* Ramped: as many connections of each kind have opened or failed as it
     * has first connections (replacements may be under way). */
    gboolean settled = l->launched == l->n_initial;
    for (int k = 0; k < SL_N_KINDS; k++) {
        const SlKindStats *s = &l->run->kinds[k];
        settled = settled && s->opened + s->failed >= s->target;
    }
    if (!l->ramped && settled) {
        l->ramped = TRUE;
        sl_report(l->run, "ramped", FALSE);
    }
}

static void run_loop(SlRun *run, guint rate, guint duration_s, guint report_ms)
{
    SlLoop l = {.run = run, .epfd = epoll_create1(EPOLL_CLOEXEC)};
    l.live = g_ptr_array_new();
    l.ended = g_hash_table_new(NULL, NULL);
    g_queue_init(&l.relaunch);
    for (int k = 0; k < SL_N_KINDS; k++)
        l.n_initial += run->kinds[k].target;
    gint64 next_tick = run->start_us, next_report = run->start_us + (gint64)report_ms * 1000;
    gint64 end = duration_s ? run->start_us + (gint64)duration_s * G_USEC_PER_SEC : G_MAXINT64;
    while (!stop_requested) {
        gint64 now = g_get_monotonic_time();
        if (now >= end)
            break;
        if (now >= next_tick) {
            tick(&l, now, rate);
            next_tick = now + TICK_MS * 1000;
        }
        if (now >= next_report) {
            sl_report(run, "status", FALSE);
            next_report += (gint64)report_ms * 1000;
        }
        handle_events(&l, (int)MAX((next_tick - g_get_monotonic_time()) / 1000, 0));
    }
    sl_report(run, "summary", TRUE);
    for (guint i = 0; i < l.live->len; i++)
        sl_conn_free(g_ptr_array_index(l.live, i));
    g_ptr_array_unref(l.live);
    g_hash_table_destroy(l.ended);
    g_queue_clear_full(&l.relaunch, g_free);
    close(l.epfd);
}

static void raise_fd_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int main(int argc, char **argv)
{
    gint port = 0, n[SL_N_KINDS] = {0}, rate = 1000, sources = 1, duration = 0;
    gint junk_ms = 100, mute_ms = 10, rcvbuf = 4096, timeout_ms = 10000, reconnect_ms = 0;
    gint report_ms = 1000, probe_ms = 0;
    g_autofree char *host = NULL, *source_base = NULL;
    GOptionEntry entries[] = {
        {"host", 0, 0, G_OPTION_ARG_STRING, &host, "Target IPv4 address (127.0.0.1)", "A"},
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "Target port", "P"},
        {"idle", 0, 0, G_OPTION_ARG_INT, &n[SL_IDLE], "Idle WSS connections", "N"},
        {"junk", 0, 0, G_OPTION_ARG_INT, &n[SL_JUNK], "Junk-sending WSS connections", "N"},
        {"mute", 0, 0, G_OPTION_ARG_INT, &n[SL_MUTE], "Never-reading WSS connections", "N"},
        {"half", 0, 0, G_OPTION_ARG_INT, &n[SL_HALF], "Half-open TLS connections", "N"},
        {"probe", 0, 0, G_OPTION_ARG_INT, &n[SL_PROBE], "Requests for a missing page", "N"},
        {"source-base", 0, 0, G_OPTION_ARG_STRING, &source_base,
         "First loopback source address (127.0.1.1)", "A"},
        {"sources", 0, 0, G_OPTION_ARG_INT, &sources, "Source addresses, round robin (1)", "N"},
        {"rate", 0, 0, G_OPTION_ARG_INT, &rate, "First connections per second (1000)", "N"},
        {"junk-interval-ms", 0, 0, G_OPTION_ARG_INT, &junk_ms, "Junk frame interval (100)", "MS"},
        {"mute-interval-ms", 0, 0, G_OPTION_ARG_INT, &mute_ms, "Mute message interval (10)", "MS"},
        {"mute-rcvbuf", 0, 0, G_OPTION_ARG_INT, &rcvbuf, "Mute SO_RCVBUF bytes (4096)", "B"},
        {"connect-timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "Give up opening after (10000)",
         "MS"},
        {"reconnect-ms", 0, 0, G_OPTION_ARG_INT, &reconnect_ms,
         "Replace a closed connection after this delay (0: never)", "MS"},
        {"probe-interval-ms", 0, 0, G_OPTION_ARG_INT, &probe_ms,
         "Each probe asks again after this delay (0: once)", "MS"},
        {"duration-s", 0, 0, G_OPTION_ARG_INT, &duration, "Stop after (0: on SIGTERM)", "S"},
        {"report-ms", 0, 0, G_OPTION_ARG_INT, &report_ms, "Status line interval (1000)", "MS"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) oc = g_option_context_new("- hostile WSS/TLS load on consultd");
    g_option_context_add_main_entries(oc, entries, NULL);
    g_autoptr(GError) error = NULL;
    SlRun run = {0};
    struct in_addr src;
    if (!g_option_context_parse(oc, &argc, &argv, &error) || port <= 0 || port > 65535 ||
        rate <= 0 || junk_ms <= 0 || mute_ms <= 0 || report_ms <= 0 ||
        inet_pton(AF_INET, host ? host : "127.0.0.1", &run.target.sin_addr) != 1 ||
        inet_pton(AF_INET, source_base ? source_base : "127.0.1.1", &src) != 1) {
        fprintf(stderr, "sigload: %s\n", error ? error->message : "bad or missing arguments");
        return 2;
    }
    run.target.sin_family = AF_INET;
    run.target.sin_port = htons((guint16)port);
    g_snprintf(run.host_header, sizeof run.host_header, "%s:%d", host ? host : "127.0.0.1", port);
    run.source_base = ntohl(src.s_addr);
    run.n_sources = (guint)MAX(sources, 1);
    run.junk_interval_ms = (guint)junk_ms;
    run.mute_interval_ms = (guint)mute_ms;
    run.mute_rcvbuf = (guint)MAX(rcvbuf, 0);
    run.connect_timeout_ms = (guint)MAX(timeout_ms, 1);
    run.reconnect_ms = (guint)MAX(reconnect_ms, 0);
    run.probe_interval_ms = (guint)MAX(probe_ms, 0);
    for (int k = 0; k < SL_N_KINDS; k++)
        sl_stats_init(&run.kinds[k], (guint)MAX(n[k], 0));
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test that started it */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    raise_fd_limit();
    run.ssl = client_ctx();
    run.partial_hello = partial_client_hello(run.ssl);
    run.start_us = g_get_monotonic_time();
    run_loop(&run, (guint)rate, (guint)MAX(duration, 0), (guint)report_ms);
    for (int k = 0; k < SL_N_KINDS; k++)
        sl_stats_clear(&run.kinds[k]);
    g_bytes_unref(run.partial_hello);
    SSL_CTX_free(run.ssl);
    return 0;
}
