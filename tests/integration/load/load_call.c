/* load_call.c — see load_call.h. */
#include "load_call.h"

#include <stdio.h>

static const guint32 colours[IT_CALL_N] = {0xff0000, 0x00ff00, 0x0000ff};
static const guint tones[IT_CALL_N] = {440, 660, 880};

void it_call_start(ItCall *call, CgTestDaemon *daemon, char **tokens, char **ids)
{
    for (guint i = 0; i < IT_CALL_N; i++) {
        call->ids[i] = ids[i];
        call->ep[i] = cg_fx_join_publishing(daemon, tokens[i], colours[i], tones[i]);
    }
    /* media every way before the load */
    for (guint i = 0; i < IT_CALL_N; i++)
        for (guint j = 0; j < IT_CALL_N; j++)
            if (i != j)
                cg_fx_wait_frames(call->ep[i], ids[j], 30);
}

void it_call_stop(ItCall *call)
{
    for (guint i = 0; i < IT_CALL_N; i++)
        g_clear_pointer(&call->ep[i], cg_test_endpoint_free);
}

void it_call_mark(ItCall *call)
{
    for (guint i = 0; i < IT_CALL_N; i++)
        for (guint j = 0; j < IT_CALL_N; j++)
            if (i != j)
                it_flow_snapshot(call->ep[i], call->ids[j], &call->flows[i][j]);
    for (guint i = 0; i < IT_CALL_N; i++)
        cg_rtc_peer_reset_frame_gaps(cg_test_endpoint_peer(call->ep[i]));
    call->t0 = g_get_monotonic_time();
}

void it_call_measure(ItCall *call, ItCallFigures *out)
{
    out->seconds = (g_get_monotonic_time() - call->t0) / 1e6;
    for (guint i = 0; i < IT_CALL_N; i++)
        for (guint j = 0; j < IT_CALL_N; j++) {
            if (i == j)
                continue;
            ItFlow now, *was = &call->flows[i][j];
            it_flow_snapshot(call->ep[i], call->ids[j], &now);
            ItPairFigures *f = &out->pair[i][j];
            f->fps = (now.frames - was->frames) / out->seconds;
            f->audio_pps = (now.audio_packets - was->audio_packets) / out->seconds;
            f->lost = now.lost - was->lost;
            f->packets =
                (now.audio_packets - was->audio_packets) + (now.video_packets - was->video_packets);
            f->max_gap_us =
                cg_rtc_peer_max_frame_gap_us(cg_test_endpoint_peer(call->ep[i]), call->ids[j]);
        }
}

void it_call_print(const char *phase, const ItCallFigures *f)
{
    for (guint i = 0; i < IT_CALL_N; i++)
        for (guint j = 0; j < IT_CALL_N; j++) {
            const ItPairFigures *p = &f->pair[i][j];
            if (i != j)
                printf("media %s (%.1f s): %u <- %u: %.1f fps, %.1f audio pkt/s, "
                       "%" G_GUINT64_FORMAT " lost of %" G_GUINT64_FORMAT
                       ", longest frame gap %.0f ms\n",
                       phase, f->seconds, i, j, p->fps, p->audio_pps, p->lost, p->packets,
                       p->max_gap_us / 1000.0);
        }
}

void it_call_assert_like(const ItCallFigures *base, const ItCallFigures *load, double min_fps_ratio,
                         double min_audio_ratio, double loss_tolerance)
{
    for (guint i = 0; i < IT_CALL_N; i++)
        for (guint j = 0; j < IT_CALL_N; j++) {
            if (i == j)
                continue;
            const ItPairFigures *b = &base->pair[i][j], *l = &load->pair[i][j];
            if (l->fps < min_fps_ratio * b->fps || l->audio_pps < min_audio_ratio * b->audio_pps)
                g_error("media %u <- %u under load: %.1f fps, %.1f audio pkt/s (baseline %.1f, "
                        "%.1f)",
                        i, j, l->fps, l->audio_pps, b->fps, b->audio_pps);
            if (l->lost > b->lost + (guint64)(loss_tolerance * l->packets))
                g_error("media %u <- %u lost %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                        " packets under load (baseline: %" G_GUINT64_FORMAT ")",
                        i, j, l->lost, l->packets, b->lost);
        }
}
