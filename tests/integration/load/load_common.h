/* load_common.h — what only the integration-load-* tests share: the sigload
 * child process (tools/sigload, found through $CG_SIGLOAD) and its JSON
 * lines, peaks of consultd's RSS and fds sampled during a load, media
 * counters of a test endpoint, measurement windows and timed joins (the
 * daemon, joins and single /proc readings: tests/support/consult_fixture.h).
 * Helpers assert: these are test programs.
 *
 * Threads: the thread-default main context; the wait functions iterate it.
 */
#pragma once

#include "consult_fixture.h"

G_BEGIN_DECLS

typedef struct _ItLoad ItLoad;

/* (transfer full) sigload started against @port with the NULL-terminated
 * extra @args; its stdout lines are read as they come. */
ItLoad *it_load_start(guint16 port, const char *const *args);
/* SIGTERM (if still running), waits for its summary and exit; frees. */
void it_load_free(ItLoad *load);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ItLoad, it_load_free)
/* Waits up to @timeout_ms for a line with "event" @event; (transfer none) it. */
json_t *it_load_wait_event(ItLoad *load, const char *event, guint timeout_ms);
/* (transfer none) the last line read (NULL before the first). */
json_t *it_load_last(ItLoad *load);
/* SIGTERM, then (transfer none) the summary line (waits up to @timeout_ms). */
json_t *it_load_stop(ItLoad *load, guint timeout_ms);
/* @field ("open", "opened", "peak_open", ...) of @kind in @line; 0 if absent. */
guint it_load_count(json_t *line, const char *kind, const char *field);
/* Sum of @field over every kind in @line. */
guint it_load_total(json_t *line, const char *field);
/* Highest @field of @kind (NULL: summed over kinds) in any line so far. */
guint it_load_max(ItLoad *load, const char *kind, const char *field);

/* Samples @pid's RSS and fd count every 100 ms on the main context. */
typedef struct {
    GPid pid;
    guint64 max_rss_kib;
    guint max_fds;
    guint source_id;
} ItProcSampler;
void it_sampler_start(ItProcSampler *s, GPid pid);
void it_sampler_stop(ItProcSampler *s);

/* What @ep received from participant @from so far. */
typedef struct {
    guint frames;
    guint64 video_packets, audio_packets;
    guint64 lost; /* video + audio packets the jitter buffers gave up on */
} ItFlow;
void it_flow_snapshot(CgTestEndpoint *ep, const char *from, ItFlow *out);

/* Runs the thread-default main context for exactly @ms (a measurement
 * window: not scaled, unlike cg_test_run_for). */
void it_run_for(guint ms);

/* Connects a no_publish endpoint with @token, waits for "joined" up to
 * @timeout_ms; returns the time from the start of its connection to
 * "joined" in µs, or -1 if it was not joined in time. The endpoint leaves
 * and is freed. */
gint64 it_timed_join(CgTestDaemon *daemon, const char *token, guint timeout_ms);
/* @us from it_timed_join() in ms for printing (-1: not joined). */
static inline double it_join_ms(gint64 us)
{
    return us < 0 ? -1.0 : us / 1000.0;
}

G_END_DECLS
