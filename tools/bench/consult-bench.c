/* consult-bench — load generator for consultd (and Janus VideoRoom, side by
 * side): N rooms of P endpoints that each publish one shared VP8 + Opus
 * stream and subscribe to the others; figures from a steady-state window.
 *
 *   consult-bench --consults 4 [--participants 3] [--warmup 3] [--window 5]
 *                 [--video-kbps 500] [--target consultd|janus]
 *                 [--janus-port 8188 --server-pid PID] [--json FILE]
 *
 * Figures: RTP packets/s counted at the receivers, server CPU over the window
 * (utime+stime of /proc/PID/stat) and its µs per forwarded packet, loss from
 * the RTP sequence numbers per received stream, join -> first remote packet
 * (per receiver/publisher pair, from the later of the two joins), server RSS
 * growth per participant, and this process's own CPU. Exit status 0 when the
 * run completed (whatever the figures), 1 on a set-up failure.
 *
 * Environment: CG_BENCH_TRACE=1 traces every connection's steps on stderr
 * (tools/bench/join-breakdown.py turns that into the join-time breakdown);
 * CG_BENCH_ACTIVE=1 answers a=setup:active instead of passive (bench_fleet.h);
 * CG_BENCH_SERVER_LOG=1 passes consultd's log through to stderr.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_fleet.h"
#include "bench_target.h"

typedef struct {
    gint consults, participants, warmup_s, window_s, video_kbps, join_interval_ms;
    gint join_timeout_s, janus_port, server_pid;
    char *target, *json;
} BenchOptions;

typedef struct {
    gint64 time;
    double server_cpu_s, self_cpu_s;
    CgRtcPeerReceived counters;
} BenchSnapshot;

/* ---- /proc ----------------------------------------------------------------- */

static double proc_cpu_s(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const char *p = strrchr(text, ')');
    if (!p)
        return -1;
    g_auto(GStrv) f = g_strsplit(p + 2, " ", 0);
    if (g_strv_length(f) < 13)
        return -1;
    /* after "(comm) " come the fields from 3 (state): utime is 14, stime 15 */
    return (g_ascii_strtod(f[11], NULL) + g_ascii_strtod(f[12], NULL)) /
           (double)sysconf(_SC_CLK_TCK);
}

static gint64 proc_rss_kib(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const char *p = strstr(text, "VmRSS:");
    return p ? g_ascii_strtoll(p + 6, NULL, 10) : -1;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void snapshot(CgBenchFleet *fleet, GPid pid, BenchSnapshot *s)
{
    s->time = g_get_monotonic_time();
    s->server_cpu_s = proc_cpu_s(pid);
    s->self_cpu_s = self_cpu_s();
    cg_bench_fleet_counters(fleet, &s->counters);
}

/* ---- join latency ------------------------------------------------------------- */

typedef struct {
    const gint64 *join_times;
    guint n;
    GArray *ms; /* double; pairs without a packet yet as G_MAXDOUBLE */
    guint n_started;
} JoinAcc;

static void on_first(guint receiver, gint publisher, gint64 first, gpointer data)
{
    JoinAcc *a = data;
    gint64 recv_join = receiver < a->n ? a->join_times[receiver] : 0;
    gint64 pub_join = publisher >= 0 && (guint)publisher < a->n ? a->join_times[publisher] : 0;
    gint64 from = MAX(recv_join, pub_join);
    double ms = first && from ? (double)(first - from) / 1000.0 : G_MAXDOUBLE;
    g_array_append_val(a->ms, ms);
    if (first)
        a->n_started++;
}

static gint cmp_double(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fills @ms (sorted) with one entry per wanted receiver/publisher pair;
 * returns how many pairs have their first packet. */
static guint join_latencies(CgBenchFleet *fleet, const gint64 *join_times, guint n,
                            guint participants, GArray *ms)
{
    JoinAcc a = {join_times, n, ms, 0};
    cg_bench_fleet_foreach_first(fleet, on_first, &a);
    guint want = n * (participants - 1); /* connections never offered: missing */
    for (guint i = ms->len; i < want; i++) {
        double inf = G_MAXDOUBLE;
        g_array_append_val(ms, inf);
    }
    g_array_sort(ms, cmp_double);
    return a.n_started;
}

static double percentile(GArray *ms, double q)
{
    if (ms->len == 0)
        return G_MAXDOUBLE;
    guint i = (guint)(q * (ms->len - 1) + 0.5);
    return g_array_index(ms, double, MIN(i, ms->len - 1));
}

static json_t *ms_or_null(double v)
{
    return v >= G_MAXDOUBLE ? json_null() : json_real(v);
}

/* ---- main-loop helpers ---------------------------------------------------------- */

static gboolean on_tick(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

static void run_for(guint ms)
{
    gboolean done = FALSE;
    g_timeout_add(ms, on_tick, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
}

static gboolean parse_options(int argc, char **argv, BenchOptions *o)
{
    o->consults = 1;
    o->participants = 3;
    o->warmup_s = 3;
    o->window_s = 5;
    o->video_kbps = 500;
    o->join_interval_ms = 150;
    o->join_timeout_s = 20;
    o->janus_port = 8188;
    GOptionEntry entries[] = {
        {"consults", 0, 0, G_OPTION_ARG_INT, &o->consults, "rooms (default 1)", "N"},
        {"participants", 0, 0, G_OPTION_ARG_INT, &o->participants, "per room (default 3)", "P"},
        {"warmup", 0, 0, G_OPTION_ARG_INT, &o->warmup_s, "seconds after all joined (3)", "S"},
        {"window", 0, 0, G_OPTION_ARG_INT, &o->window_s, "measurement window (5)", "S"},
        {"video-kbps", 0, 0, G_OPTION_ARG_INT, &o->video_kbps, "VP8 bitrate (500)", "K"},
        {"join-interval-ms", 0, 0, G_OPTION_ARG_INT, &o->join_interval_ms,
         "pause between rooms while joining (150)", "MS"},
        {"join-timeout", 0, 0, G_OPTION_ARG_INT, &o->join_timeout_s,
         "max wait for every stream to flow (20)", "S"},
        {"target", 0, 0, G_OPTION_ARG_STRING, &o->target, "consultd (default) or janus", "T"},
        {"janus-port", 0, 0, G_OPTION_ARG_INT, &o->janus_port, "Janus WebSocket port", "PORT"},
        {"server-pid", 0, 0, G_OPTION_ARG_INT, &o->server_pid, "Janus process id", "PID"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "write the results here", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(GOptionContext) ctx = g_option_context_new("- consultd / Janus load generator");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("consult-bench: %s\n", error->message);
        return FALSE;
    }
    if (!o->target)
        o->target = g_strdup("consultd");
    if (o->consults < 1 || o->consults > 200 || o->participants < 2 || o->participants > 16 ||
        o->warmup_s < 0 || o->window_s < 1 || o->video_kbps < 50 || o->video_kbps > 5000 ||
        o->janus_port < 1 || o->janus_port > 65535 ||
        (strcmp(o->target, "consultd") != 0 && strcmp(o->target, "janus") != 0) ||
        (strcmp(o->target, "janus") == 0 && o->server_pid <= 0)) {
        g_printerr("consult-bench: bad options (see --help; janus needs --server-pid)\n");
        return FALSE;
    }
    return TRUE;
}

static gboolean start_target(const BenchOptions *o, CgBenchTarget *t, GError **error)
{
    if (strcmp(o->target, "janus") == 0)
        return cg_bench_target_janus(t, (guint16)o->janus_port, (GPid)o->server_pid, error);
    return cg_bench_target_consultd(t, (guint)o->participants, error);
}

/* Joins every room, one room every join_interval_ms; then waits until every
 * pair receives or join_timeout_s passes. Returns the pairs that flow. */
static guint join_all(const BenchOptions *o, CgBenchTarget *t, CgBenchFleet *fleet,
                      gint64 *join_times, GError **error)
{
    guint n = (guint)(o->consults * o->participants);
    if (t->prepare && !t->prepare(t->impl, (guint)o->consults, (guint)o->participants, error))
        return 0;
    for (gint c = 0; c < o->consults; c++) {
        if (!t->add_consult(t->impl, fleet, (guint)(c * o->participants), (guint)o->participants,
                            join_times, error))
            return 0;
        run_for((guint)o->join_interval_ms);
    }
    guint want = n * (guint)(o->participants - 1), have = 0;
    gint64 deadline = g_get_monotonic_time() + (gint64)o->join_timeout_s * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < deadline) {
        g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(double));
        have = join_latencies(fleet, join_times, n, (guint)o->participants, ms);
        if (have >= want)
            break;
        run_for(100);
    }
    return have;
}

static json_t *results(const BenchOptions *o, CgBenchFleet *fleet, const gint64 *join_times,
                       const BenchSnapshot *a, const BenchSnapshot *b, gint64 rss_base, gint64 rss)
{
    guint n = (guint)(o->consults * o->participants);
    double window = (double)(b->time - a->time) / 1e6;
    guint64 received = b->counters.received - a->counters.received;
    guint64 expected = b->counters.expected - a->counters.expected;
    double server_cpu = b->server_cpu_s - a->server_cpu_s;
    double self_cpu = b->self_cpu_s - a->self_cpu_s;
    double loss = expected ? 100.0 * (1.0 - (double)received / (double)expected) : 100.0;
    guint want_streams = n * (guint)(o->participants - 1) * 2; /* audio + video */
    g_autoptr(GArray) ms = g_array_new(FALSE, FALSE, sizeof(double));
    guint flowing = join_latencies(fleet, join_times, n, (guint)o->participants, ms);
    double p95 = percentile(ms, 0.95);
    gboolean ok =
        received > 0 && loss < 0.5 && p95 < 500.0 && b->counters.n_streams >= want_streams;
    json_t *r = json_object();
#define SET(k, v) json_object_set_new(r, k, v)
    SET("target", json_string(o->target));
    SET("consults", json_integer(o->consults));
    SET("participants", json_integer(o->participants));
    SET("endpoints", json_integer(n));
    SET("video_kbps", json_integer(o->video_kbps));
    SET("warmup_s", json_integer(o->warmup_s));
    SET("window_s", json_real(window));
    SET("nproc", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    SET("packets_received", json_integer((json_int_t)received));
    SET("packets_expected", json_integer((json_int_t)expected));
    SET("packets_per_s", json_real((double)received / window));
    SET("loss_pct", json_real(MAX(loss, 0.0)));
    SET("streams_expected", json_integer(want_streams));
    SET("streams_flowing", json_integer(b->counters.n_streams));
    SET("pairs_flowing", json_integer(flowing));
    SET("server_cpu_s", json_real(server_cpu));
    SET("server_cpu_pct", json_real(100.0 * server_cpu / window));
    SET("us_per_packet", json_real(received ? server_cpu * 1e6 / (double)received : 0.0));
    SET("generator_cpu_pct", json_real(100.0 * self_cpu / window));
    SET("join_ms_p50", ms_or_null(percentile(ms, 0.5)));
    SET("join_ms_p95", ms_or_null(p95));
    SET("join_ms_max", ms_or_null(percentile(ms, 1.0)));
    SET("server_rss_base_kib", json_integer(rss_base));
    SET("server_rss_kib", json_integer(rss));
    SET("rss_per_participant_kib",
        rss >= 0 && rss_base >= 0 ? json_real((double)(rss - rss_base) / n) : json_null());
    SET("ok", json_boolean(ok));
    /* the same without the join criterion (loss and every stream flowing) */
    SET("ok_loss",
        json_boolean(received > 0 && loss < 0.5 && b->counters.n_streams >= want_streams));
#undef SET
    return r;
}

static void print_summary(json_t *r)
{
    json_t *p95 = json_object_get(r, "join_ms_p95");
    json_t *rss = json_object_get(r, "rss_per_participant_kib");
    g_autofree char *p95txt =
        json_is_real(p95) ? g_strdup_printf("%.0f", json_real_value(p95)) : g_strdup("-");
    g_print(
        "%-8s consults=%-3" JSON_INTEGER_FORMAT " pkt/s=%-7.0f cpu=%5.1f%% us/pkt=%6.1f "
        "loss=%5.2f%% join_p95=%sms rss/part=%.0fKiB gen_cpu=%5.1f%% streams=%" JSON_INTEGER_FORMAT
        "/%" JSON_INTEGER_FORMAT " %s\n",
        json_string_value(json_object_get(r, "target")),
        json_integer_value(json_object_get(r, "consults")),
        json_real_value(json_object_get(r, "packets_per_s")),
        json_real_value(json_object_get(r, "server_cpu_pct")),
        json_real_value(json_object_get(r, "us_per_packet")),
        json_real_value(json_object_get(r, "loss_pct")), p95txt,
        json_is_real(rss) ? json_real_value(rss) : -1.0,
        json_real_value(json_object_get(r, "generator_cpu_pct")),
        json_integer_value(json_object_get(r, "streams_flowing")),
        json_integer_value(json_object_get(r, "streams_expected")),
        json_is_true(json_object_get(r, "ok")) ? "OK" : "FAIL");
}

int main(int argc, char **argv)
{
    BenchOptions o = {0};
    if (!parse_options(argc, argv, &o))
        return 2;
    g_autoptr(GError) error = NULL;
    CgBenchTarget t = {0};
    if (!start_target(&o, &t, &error)) {
        g_printerr("consult-bench: %s\n", error->message);
        return 1;
    }
    gint64 rss_base = proc_rss_kib(t.pid);
    CgBenchFleet *fleet = cg_bench_fleet_new((guint)o.video_kbps, &error);
    if (!fleet) {
        g_printerr("consult-bench: %s\n", error->message);
        t.free(t.impl);
        return 1;
    }
    guint n = (guint)(o.consults * o.participants);
    gint64 *join_times = g_new0(gint64, n);
    join_all(&o, &t, fleet, join_times, &error);
    int status = 0;
    if (error) {
        g_printerr("consult-bench: %s\n", error->message);
        status = 1;
    } else {
        run_for((guint)o.warmup_s * 1000);
        BenchSnapshot a, b;
        snapshot(fleet, t.pid, &a);
        run_for((guint)o.window_s * 1000);
        snapshot(fleet, t.pid, &b);
        json_t *r = results(&o, fleet, join_times, &a, &b, rss_base, proc_rss_kib(t.pid));
        print_summary(r);
        if (o.json && json_dump_file(r, o.json, JSON_INDENT(2)) != 0) {
            g_printerr("consult-bench: cannot write %s\n", o.json);
            status = 1;
        }
        json_decref(r);
    }
    cg_bench_fleet_free(fleet); /* media first: its events write to the targets */
    t.free(t.impl);
    g_free(join_times);
    g_free(o.target);
    g_free(o.json);
    return status;
}
