/* load_call.h — the 3-party consult the load tests keep running: three
 * endpoints publishing colour video and a tone, and per sender/receiver
 * figures over a window (decoded frames and audio packets per second, packets
 * the jitter buffers gave up on, the longest gap between decoded frames).
 *
 * Threads: the thread-default main context.
 */
#pragma once

#include "load_common.h"

G_BEGIN_DECLS

#define IT_CALL_N 3

typedef struct {
    double fps, audio_pps;
    guint64 lost, packets;
    gint64 max_gap_us;
} ItPairFigures;

typedef struct {
    ItPairFigures pair[IT_CALL_N][IT_CALL_N]; /* [receiver][sender]; the diagonal is unused */
    double seconds;
} ItCallFigures;

typedef struct {
    CgTestEndpoint *ep[IT_CALL_N];
    const char *ids[IT_CALL_N]; /* borrowed from the consult */
    ItFlow flows[IT_CALL_N][IT_CALL_N];
    gint64 t0;
} ItCall;

/* Joins @tokens[0..2] (specialist first) and waits for media every way. */
void it_call_start(ItCall *call, CgTestDaemon *daemon, char **tokens, char **ids);
void it_call_stop(ItCall *call);
/* Starts a window; it_call_measure() gives its figures. */
void it_call_mark(ItCall *call);
void it_call_measure(ItCall *call, ItCallFigures *out);
void it_call_print(const char *phase, const ItCallFigures *f);
/* Fails the test unless @load is within the ratios of @base, and lost no
 * more than @base plus @loss_tolerance of the packets that arrived. */
void it_call_assert_like(const ItCallFigures *base, const ItCallFigures *load, double min_fps_ratio,
                         double min_audio_ratio, double loss_tolerance);

G_END_DECLS
