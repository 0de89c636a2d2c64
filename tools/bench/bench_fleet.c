/* bench_fleet.c — see bench_fleet.h. */
#include "bench_fleet.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    guint index;
    CgRtcPeerEvents ev; /* the target's */
    gpointer user;
    CgRtcPeer *peer;
} FleetEp;

struct _CgBenchFleet {
    CgRtcSource *source;
    GPtrArray *eps; /* FleetEp *, owned */
};

/* ---- tracing -------------------------------------------------------------- */

static gboolean tracing(void)
{
    static gint enabled = -1;
    if (g_atomic_int_get(&enabled) < 0)
        g_atomic_int_set(&enabled, g_getenv("CG_BENCH_TRACE") != NULL);
    return g_atomic_int_get(&enabled);
}

void cg_bench_trace(guint index, const char *pc, const char *fmt, ...)
{
    static gint64 t0;
    if (g_once_init_enter(&t0))
        g_once_init_leave(&t0, g_get_monotonic_time());
    if (!tracing())
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("trace %.1f ep=%u pc=%s %s\n", (double)(g_get_monotonic_time() - t0) / 1000.0, index,
               pc, what);
}

/* ---- endpoints -------------------------------------------------------------- */

static void on_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    FleetEp *ep = user;
    if (ep->ev.description)
        ep->ev.description(ep->user, pc, type, sdp);
}

static void on_candidate(gpointer user, const char *pc, guint mline, const char *candidate)
{
    FleetEp *ep = user;
    if (ep->ev.candidate)
        ep->ev.candidate(ep->user, pc, mline, candidate);
}

static void on_trace(gpointer user, const char *pc, const char *what)
{
    const FleetEp *ep = user;
    cg_bench_trace(ep->index, pc, "%s", what);
}

static void ep_free(gpointer p)
{
    FleetEp *ep = p;
    cg_rtc_peer_free(ep->peer);
    g_free(ep);
}

CgBenchFleet *cg_bench_fleet_new(guint video_kbps, GError **error)
{
    CgRtcSource *source = cg_rtc_source_new(video_kbps, error);
    if (!source)
        return NULL;
    CgBenchFleet *fleet = g_new0(CgBenchFleet, 1);
    fleet->source = source;
    fleet->eps = g_ptr_array_new_with_free_func(ep_free);
    return fleet;
}

void cg_bench_fleet_free(CgBenchFleet *fleet)
{
    if (!fleet)
        return;
    g_ptr_array_unref(fleet->eps);
    cg_rtc_source_free(fleet->source);
    g_free(fleet);
}

CgRtcPeer *cg_bench_fleet_add(CgBenchFleet *fleet, guint index, const CgRtcPeerEvents *events,
                              gpointer user)
{
    FleetEp *ep = g_new0(FleetEp, 1);
    ep->index = index;
    ep->ev = *events;
    ep->user = user;
    CgRtcPeerOptions opt = {0};
    opt.source = fleet->source;
    opt.no_decode = TRUE;
    opt.no_jitter_delay = TRUE;
    opt.answer_passive = !g_getenv("CG_BENCH_ACTIVE");
    opt.trace = tracing() ? on_trace : NULL;
    CgRtcPeerEvents ev = {on_description, on_candidate};
    ep->peer = cg_rtc_peer_new(&opt, &ev, ep);
    g_ptr_array_add(fleet->eps, ep);
    return ep->peer;
}

char *cg_bench_label(gint publisher)
{
    return g_strdup_printf("%d", publisher);
}

/* ---- counters ------------------------------------------------------------- */

void cg_bench_fleet_counters(CgBenchFleet *fleet, CgRtcPeerReceived *acc)
{
    memset(acc, 0, sizeof *acc);
    for (guint i = 0; i < fleet->eps->len; i++) {
        const FleetEp *ep = g_ptr_array_index(fleet->eps, i);
        CgRtcPeerReceived r;
        cg_rtc_peer_received(ep->peer, &r);
        acc->received += r.received;
        acc->expected += r.expected;
        acc->n_streams += r.n_streams;
    }
}

void cg_bench_fleet_foreach_first(CgBenchFleet *fleet,
                                  void (*func)(guint receiver, gint publisher, gint64 first,
                                               gpointer data),
                                  gpointer data)
{
    for (guint i = 0; i < fleet->eps->len; i++) {
        const FleetEp *ep = g_ptr_array_index(fleet->eps, i);
        g_auto(GStrv) labels = cg_rtc_peer_labels(ep->peer);
        for (guint l = 0; labels[l]; l++)
            func(ep->index, (gint)strtol(labels[l], NULL, 10),
                 cg_rtc_peer_first_packet_time(ep->peer, labels[l]), data);
    }
}
