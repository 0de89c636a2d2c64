/* interp_fixture.c — see interp_fixture.h. */
#include "interp_fixture.h"

#include <stdlib.h>
#include <string.h>

static const char *str(json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

CgTestConsult *cg_fx_interp_consult_new(CgTestDaemon *daemon, const char *mode,
                                        const char *const *languages, const char *floor_language,
                                        const CgFxParty *parties)
{
    static const char *const names[] = {"Dr. Lee",     "Dr. Osei", "Ana Ruiz", "Luz Vega",
                                        "Omar Haddad", "Sam Doe",  "Kim Roe",  "Dr. Ito"};
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *starts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    json_t *people = json_array();
    for (guint i = 0; parties[i].role; i++) {
        g_assert_cmpuint(i, <, G_N_ELEMENTS(names));
        json_t *p = json_pack("{s:s, s:s}", "name", names[i], "role", parties[i].role);
        if (parties[i].language)
            json_object_set_new(p, "language", json_string(parties[i].language));
        if (parties[i].relay_from)
            json_object_set_new(p, "relay_from", json_string(parties[i].relay_from));
        json_array_append_new(people, p);
    }
    json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "kind", "virtual_consult",
                            "specialty", "cardiology", "title", "Interpretation test consult",
                            "starts_at", starts, "duration_min", 30, "participants", people);
    if (mode) {
        json_t *langs = json_array();
        for (guint i = 0; languages && languages[i]; i++)
            json_array_append_new(langs, json_string(languages[i]));
        json_object_set_new(req, "interpretation",
                            json_pack("{s:s, s:o}", "mode", mode, "languages", langs));
    }
    if (floor_language)
        json_object_set_new(req, "floor_language", json_string(floor_language));
    g_autoptr(GError) error = NULL;
    CgTestConsult *c = cg_test_create_consult_json(daemon, 0, req, &error);
    json_decref(req);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    return c;
}

CgTestEndpoint *cg_fx_join_tone(CgTestDaemon *daemon, const char *token, double hz, double volume,
                                guint loss_pct)
{
    CgTestEndpointOptions o = {.media = {.tone_hz = hz > 0 ? (guint)hz : 440,
                                         .tone_volume = volume,
                                         .tone_off = hz <= 0,
                                         .no_video = TRUE,
                                         .repair_loss = TRUE,
                                         .jitter_latency_ms = CG_FX_JITTER_MS,
                                         .send_audio_loss_pct = loss_pct},
                               .admit_waiting = TRUE};
    return cg_fx_join(daemon, token, &o, CG_FX_JOIN_TIMEOUT_MS);
}

/* ---- messages ---------------------------------------------------------------- */

void cg_fx_send_channel(CgTestEndpoint *ep, const char *channel, gboolean interpreter_only)
{
    cg_test_endpoint_send(ep, json_pack("{s:s, s:s, s:b}", "type", "channel", "channel", channel,
                                        "interpreter_only", interpreter_only));
}

void cg_fx_send_hand_over(CgTestEndpoint *ep, const char *to)
{
    json_t *m = json_pack("{s:s}", "type", "hand_over");
    if (to)
        json_object_set_new(m, "to", json_string(to));
    cg_test_endpoint_send(ep, m);
}

void cg_fx_send_floor_level(CgTestEndpoint *ep, int db)
{
    cg_test_endpoint_send(ep, json_pack("{s:s, s:i}", "type", "floor_level", "db", db));
}

json_t *cg_fx_interp_channel(json_t *interp, const char *language)
{
    json_t *channels = json_object_get(interp, "channels");
    for (gsize i = 0; i < json_array_size(channels); i++)
        if (g_strcmp0(str(json_array_get(channels, i), "language"), language) == 0)
            return json_array_get(channels, i);
    return NULL;
}

typedef struct {
    CgTestEndpoint *ep;
    const char *language;
    const char *value;
} InterpWait;

static gboolean live_is(gpointer data)
{
    InterpWait *w = data;
    json_t *ch = cg_fx_interp_channel(cg_fx_last(w->ep, "interpretation"), w->language);
    return ch && g_strcmp0(str(ch, "live"), w->value) == 0;
}

static char *newest(CgTestEndpoint *ep, const char *type)
{
    json_t *m = cg_fx_last(ep, type);
    char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
    char *out = g_strdup(text ? text : "(none)");
    free(text);
    return out;
}

void cg_fx_expect_live(CgTestEndpoint *ep, const char *language, const char *live)
{
    InterpWait w = {ep, language, live};
    if (cg_test_wait_until(live_is, &w, CG_FX_REPLY_TIMEOUT_MS))
        return;
    g_autofree char *got = newest(ep, "interpretation");
    g_error("%s: channel %s never had live %s; newest interpretation: %s", cg_test_endpoint_id(ep),
            language, live ? live : "null", got);
}

static gboolean channel_is(gpointer data)
{
    InterpWait *w = data;
    json_t *you = json_object_get(cg_fx_last(w->ep, "interpretation"), "you");
    return g_strcmp0(str(you, "channel"), w->value) == 0;
}

void cg_fx_expect_channel(CgTestEndpoint *ep, const char *channel)
{
    InterpWait w = {ep, NULL, channel};
    if (cg_test_wait_until(channel_is, &w, CG_FX_REPLY_TIMEOUT_MS))
        return;
    g_autofree char *got = newest(ep, "interpretation");
    g_error("%s: never on channel %s; newest interpretation: %s", cg_test_endpoint_id(ep), channel,
            got);
}

static gboolean mix_audio(gpointer data)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(data);
    return peer && cg_rtc_peer_audio_samples(peer, CG_FX_MIX) > 4800; /* 100 ms */
}

void cg_fx_expect_mix_audio(CgTestEndpoint *ep)
{
    if (cg_test_wait_until(mix_audio, ep, CG_FX_MEDIA_TIMEOUT_MS))
        return;
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    g_autofree char *about = peer ? cg_rtc_peer_describe_label(peer, CG_FX_MIX) : NULL;
    g_autofree char *offer = newest(ep, "offer");
    g_error("%s: no audio decoded on the mix slot within %d ms (%s); newest offer: %.300s",
            cg_test_endpoint_id(ep), CG_FX_MEDIA_TIMEOUT_MS, about ? about : "no peer", offer);
}

/* ---- levels -------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Audio of @label decoded in the last 60 ms (buffers come every 20 ms):
 * a level read now is of what the server sends now, not of a stalled
 * stream's last 100 ms. */
static gboolean fresh(CgRtcPeer *peer, const char *label)
{
    gint64 t = cg_rtc_peer_audio_time(peer, label);
    return t && g_get_monotonic_time() - t <= 60 * G_TIME_SPAN_MILLISECOND;
}

typedef struct {
    CgRtcPeer *peer;
    const char *label;
} FreshWait;

static gboolean is_fresh(gpointer data)
{
    FreshWait *w = data;
    return fresh(w->peer, w->label);
}

double cg_fx_level_db(CgTestEndpoint *ep, const char *label, double hz, guint n)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    g_assert_nonnull(peer);
    g_assert_cmpuint(n, >, 0);
    g_autofree double *v = g_new(double, n);
    FreshWait w = {peer, label};
    for (guint i = 0; i < n; i++) {
        if (i)
            cg_test_run_for(110); /* a measurement window: the next 100 ms of audio */
        if (!cg_test_wait_until(is_fresh, &w, CG_FX_MEDIA_TIMEOUT_MS)) {
            g_autofree char *all = cg_fx_describe_levels(ep, label);
            g_error("%s: no audio on %s for %d ms (%s)", cg_test_endpoint_id(ep), label,
                    CG_FX_MEDIA_TIMEOUT_MS, all);
        }
        v[i] = cg_rtc_peer_tone_level_db(peer, label, hz);
    }
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

typedef struct {
    CgTestEndpoint *ep;
    const char *label;
    double hz, min, max;
    guint in_a_row;
    gint64 last;
} LevelWait;

/* Three readings in a row within the bounds, each of fresh audio ~30 ms
 * after the last (a stalled stream's readings do not count either way). */
static gboolean level_within(gpointer data)
{
    LevelWait *w = data;
    CgRtcPeer *peer = cg_test_endpoint_peer(w->ep);
    gint64 now = g_get_monotonic_time();
    if (!peer || now - w->last < 30 * G_TIME_SPAN_MILLISECOND || !fresh(peer, w->label))
        return FALSE;
    w->last = now;
    double db = cg_rtc_peer_tone_level_db(peer, w->label, w->hz);
    w->in_a_row = db >= w->min && db <= w->max ? w->in_a_row + 1 : 0;
    return w->in_a_row >= 3;
}

gboolean cg_fx_wait_level(CgTestEndpoint *ep, const char *label, double hz, double min_db,
                          double max_db, guint timeout_ms)
{
    LevelWait w = {ep, label, hz, min_db, max_db, 0, 0};
    return cg_test_wait_until(level_within, &w, timeout_ms);
}

char *cg_fx_describe_levels(CgTestEndpoint *ep, const char *label)
{
    static const double tones[] = {CG_FX_HZ_SPECIALIST, CG_FX_HZ_PROVIDER, CG_FX_HZ_ES,
                                   CG_FX_HZ_ES_PARTNER, CG_FX_HZ_AR};
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    GString *s = g_string_new(NULL);
    for (guint i = 0; peer && i < G_N_ELEMENTS(tones); i++)
        g_string_append_printf(s, "%s%.0f Hz %.1f dB", i ? ", " : "", tones[i],
                               cg_rtc_peer_tone_level_db(peer, label, tones[i]));
    if (peer)
        g_string_append_printf(s,
                               "; %" G_GUINT64_FORMAT " audio packets, %" G_GUINT64_FORMAT
                               " samples decoded, peak sample %.3f since the last reset",
                               cg_rtc_peer_audio_packets(peer, label),
                               cg_rtc_peer_audio_samples(peer, label),
                               cg_rtc_peer_audio_peak(peer, label, NULL));
    return g_string_free(s, FALSE);
}

void cg_fx_expect_level(CgTestEndpoint *ep, const char *label, double hz, double min_db,
                        double max_db, guint timeout_ms)
{
    if (cg_fx_wait_level(ep, label, hz, min_db, max_db, timeout_ms))
        return;
    g_autofree char *got = cg_fx_describe_levels(ep, label);
    g_error("%s on %s: %.0f Hz never within [%.1f, %.1f] dB in %u ms; now: %s",
            cg_test_endpoint_id(ep), label, hz, min_db, max_db, timeout_ms, got);
}
