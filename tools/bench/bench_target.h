/* bench_target.h — what the load generator needs from a server under test.
 *
 * A target joins simulated endpoints (bench_fleet.h) into 3-party (or
 * P-party) rooms through the server's own signaling: consultd's admin API +
 * WSS protocol, or Janus's VideoRoom over its WebSocket API. Every endpoint
 * publishes and subscribes to every other endpoint of its room.
 *
 * The target writes the monotonic time at which it sent endpoint i's join
 * into join_times[i] (array owned by the caller, sized for every endpoint).
 *
 * Threads: the thread-default main context of the caller; add_consult only
 * starts things and returns, progress happens while that context runs.
 */
#pragma once

#include <glib.h>

#include "bench_fleet.h"

G_BEGIN_DECLS

typedef struct {
    const char *name; /* "consultd" or "janus" */
    GPid pid;         /* the server process, for /proc figures */
    gpointer impl;
    /* Starts joining @participants endpoints with indexes @first.. into one
     * new room. FALSE + @error when the room cannot even be set up. */
    gboolean (*add_consult)(gpointer impl, CgBenchFleet *fleet, guint first, guint participants,
                            gint64 *join_times, GError **error);
    /* Optional: sets up @consults rooms of @participants before any endpoint
     * joins, so that no blocking set-up call runs during the joins (a
     * synchronous admin API call there stalls every endpoint's signaling).
     * add_consult then uses them in order. */
    gboolean (*prepare)(gpointer impl, guint consults, guint participants, GError **error);
    /* Leaves, stops what the target started. */
    void (*free)(gpointer impl);
} CgBenchTarget;

/* consultd: starts the daemon like the integration tests do
 * ($CG_CONSULTD / $CG_WEB_ROOT). FALSE + @error if it does not start. */
gboolean cg_bench_target_consultd(CgBenchTarget *target, guint participants, GError **error);

/* Janus: connects to the VideoRoom at ws://127.0.0.1:@port (a Janus the
 * caller started) whose process id is @pid. */
gboolean cg_bench_target_janus(CgBenchTarget *target, guint16 port, GPid pid, GError **error);

G_END_DECLS
