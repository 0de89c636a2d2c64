/* tones.c — test helpers for the mixer (tones.h). */
#include "tones.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

float *tones_sine(double freq, double amp, double lead_s, double seconds, gsize *n)
{
    gsize lead = (gsize)(lead_s * TONES_RATE);
    *n = lead + (gsize)(seconds * TONES_RATE);
    float *x = g_new0(float, *n);
    for (gsize i = lead; i < *n; i++)
        x[i] = (float)(amp * sin(2 * G_PI * freq * (double)(i - lead) / TONES_RATE));
    return x;
}

void tones_add(float *a, const float *b, gsize n)
{
    for (gsize i = 0; i < n; i++)
        a[i] += b[i];
}

static GstElement *launch(const char *desc)
{
    g_autoptr(GError) error = NULL;
    GstElement *p = gst_parse_launch(desc, &error);
    g_assert_no_error(error);
    return p;
}

static GPtrArray *pull_all(GstElement *pipeline)
{
    g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    GstSample *sample;
    while ((sample = gst_app_sink_pull_sample(GST_APP_SINK(sink)))) {
        GstBuffer *buf = gst_sample_get_buffer(sample);
        GstMapInfo map;
        g_assert_true(gst_buffer_map(buf, &map, GST_MAP_READ));
        g_ptr_array_add(out, g_bytes_new(map.data, map.size));
        gst_buffer_unmap(buf, &map);
        gst_sample_unref(sample);
    }
    return out;
}

GPtrArray *tones_encode(const float *pcm, gsize n, guint8 pt, guint32 ssrc)
{
    g_autofree char *desc = g_strdup_printf(
        "appsrc name=src format=time caps=audio/x-raw,format=F32LE,rate=48000,channels=1,"
        "layout=interleaved ! audioconvert ! audio/x-raw,format=S16LE ! opusenc bitrate=64000 "
        "frame-size=20 bandwidth=fullband ! rtpopuspay pt=%u ssrc=%u ! appsink name=sink "
        "sync=false",
        pt, ssrc);
    GstElement *p = launch(desc);
    g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(p), "src");
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBuffer *buf = gst_buffer_new_memdup(pcm, n * sizeof(float));
    GST_BUFFER_PTS(buf) = 0;
    GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(n, GST_SECOND, TONES_RATE);
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    GPtrArray *out = pull_all(p);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    return out;
}

float *tones_decode(GPtrArray *packets, gsize *n)
{
    guint pt = 111;
    if (packets->len)
        pt = ((const guint8 *)g_bytes_get_data(packets->pdata[0], NULL))[1] & 0x7f;
    g_autofree char *desc = g_strdup_printf(
        "appsrc name=src format=time caps=application/x-rtp,media=audio,clock-rate=48000,"
        "encoding-name=OPUS,payload=%u ! rtpopusdepay ! opusdec ! audioconvert ! "
        "audio/x-raw,format=F32LE,rate=48000,channels=1 ! appsink name=sink sync=false",
        pt);
    GstElement *p = launch(desc);
    g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(p), "src");
    g_object_set(src, "max-bytes", (guint64)0, NULL);
    gst_element_set_state(p, GST_STATE_PLAYING);
    for (guint i = 0; i < packets->len; i++) {
        gsize len;
        const void *data = g_bytes_get_data(packets->pdata[i], &len);
        GstBuffer *buf = gst_buffer_new_memdup(data, len);
        GST_BUFFER_PTS(buf) = i * 20 * GST_MSECOND;
        gst_app_src_push_buffer(GST_APP_SRC(src), buf);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    g_autoptr(GPtrArray) frames = pull_all(p);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(p);
    GByteArray *all = g_byte_array_new();
    for (guint i = 0; i < frames->len; i++) {
        gsize len;
        const guint8 *data = g_bytes_get_data(frames->pdata[i], &len);
        g_byte_array_append(all, data, len);
    }
    *n = all->len / sizeof(float);
    return (float *)g_byte_array_free(all, FALSE);
}

double tones_goertzel(const float *x, gsize n, double freq)
{
    double w = 2 * G_PI * freq / TONES_RATE, c = 2 * cos(w), s1 = 0, s2 = 0;
    for (gsize i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return n ? 2 * sqrt(MAX(power, 0)) / (double)n : 0;
}

double tones_band(const float *x, gsize n, double lo, double hi)
{
    /* one-sided Parseval over the bins of an n-point window */
    double step = (double)TONES_RATE / (double)n, power = 0;
    for (double f = ceil(lo / step) * step; f <= hi; f += step) {
        double a = tones_goertzel(x, n, f);
        power += a * a;
    }
    return sqrt(power);
}

double tones_db(double amplitude)
{
    return 20 * log10(MAX(amplitude, 1e-9));
}

float tones_peak(const float *x, gsize n)
{
    float p = 0;
    for (gsize i = 0; i < n; i++)
        p = MAX(p, fabsf(x[i]));
    return p;
}

/* ---- real-time feeding ---- */

typedef struct {
    guint64 id;
    GPtrArray *packets;
    GArray *times;
    GRand *rand;
    double loss;
    gint64 start;
    guint next;
} TonesFeed;

struct _TonesFeeder {
    CgMixer *mixer;
    GPtrArray *feeds;
    GSource *timer;
    gint64 max_slip;
    gint64 last_push;
};

static void feed_free(gpointer p)
{
    TonesFeed *f = p;
    g_rand_free(f->rand);
    g_array_unref(f->times);
    g_free(f);
}

static gboolean feeder_tick(gpointer data)
{
    TonesFeeder *feeder = data;
    gint64 now = g_get_monotonic_time();
    for (guint i = 0; i < feeder->feeds->len; i++) {
        TonesFeed *f = feeder->feeds->pdata[i];
        while (f->next < f->packets->len && f->start + (gint64)f->next * 20000 <= now) {
            gboolean lost = g_rand_double_range(f->rand, 0, 100) < f->loss;
            if (!lost) {
                gsize len;
                const guint8 *rtp = g_bytes_get_data(f->packets->pdata[f->next], &len);
                cg_mixer_push(feeder->mixer, f->id, rtp, len);
                gint64 t = g_get_monotonic_time();
                g_array_index(f->times, gint64, f->next) = t;
                feeder->last_push = t;
                feeder->max_slip = MAX(feeder->max_slip, t - (f->start + (gint64)f->next * 20000));
            }
            f->next++;
        }
    }
    return G_SOURCE_CONTINUE;
}

TonesFeeder *tones_feeder_new(CgMixer *mixer)
{
    TonesFeeder *feeder = g_new0(TonesFeeder, 1);
    feeder->mixer = mixer;
    feeder->feeds = g_ptr_array_new_with_free_func(feed_free);
    feeder->timer = g_timeout_source_new(2);
    g_source_set_callback(feeder->timer, feeder_tick, feeder, NULL);
    g_source_attach(feeder->timer, g_main_context_get_thread_default());
    return feeder;
}

GArray *tones_feeder_add(TonesFeeder *feeder, guint64 id, GPtrArray *packets, double loss_percent)
{
    TonesFeed *f = g_new0(TonesFeed, 1);
    f->id = id;
    f->packets = packets;
    f->times = g_array_sized_new(FALSE, TRUE, sizeof(gint64), packets->len);
    g_array_set_size(f->times, packets->len);
    f->rand = g_rand_new_with_seed(1234 + (guint32)id);
    f->loss = loss_percent;
    f->start = g_get_monotonic_time(); /* packet 0 is due now */
    g_ptr_array_add(feeder->feeds, f);
    return g_array_ref(f->times);
}

gboolean tones_feeder_done(TonesFeeder *feeder)
{
    for (guint i = 0; i < feeder->feeds->len; i++) {
        TonesFeed *f = feeder->feeds->pdata[i];
        if (f->next < f->packets->len)
            return FALSE;
    }
    return TRUE;
}

gint64 tones_feeder_max_slip(TonesFeeder *feeder)
{
    return feeder->max_slip;
}

gboolean tones_starved(TonesFeeder *feeder, TonesSink *sink)
{
    gint64 gap = 0;
    guint at = 0;
    /* from the 10th packet out: the mix starting, or taking its first
     * input, may take a few tens of milliseconds once */
    for (guint i = 10; i < sink->times->len; i++) {
        if (g_array_index(sink->times, gint64, i - 1) > feeder->last_push)
            break; /* an input that stops makes the mix wait for it once */
        gint64 d =
            g_array_index(sink->times, gint64, i) - g_array_index(sink->times, gint64, i - 1);
        if (d > gap) {
            gap = d;
            at = i;
        }
    }
    if (feeder->max_slip <= 15000 && gap <= 60000)
        return FALSE;
    g_test_message("this run was starved of CPU: a packet pushed %.1f ms late, %.1f ms between "
                   "two packets out (before packet %u of %u)",
                   feeder->max_slip / 1000.0, gap / 1000.0, at, sink->times->len);
    return TRUE;
}

void tones_feeder_free(TonesFeeder *feeder)
{
    g_source_destroy(feeder->timer);
    g_source_unref(feeder->timer);
    g_ptr_array_unref(feeder->feeds);
    g_free(feeder);
}

TonesSink *tones_sink_new(void)
{
    TonesSink *sink = g_new0(TonesSink, 1);
    sink->packets = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    sink->times = g_array_new(FALSE, FALSE, sizeof(gint64));
    return sink;
}

void tones_sink_free(TonesSink *sink)
{
    g_ptr_array_unref(sink->packets);
    g_array_unref(sink->times);
    g_free(sink);
}

void tones_sink_output(gpointer user, const guint8 *rtp, gsize len)
{
    TonesSink *sink = user;
    gint64 now = g_get_monotonic_time();
    g_ptr_array_add(sink->packets, g_bytes_new(rtp, len));
    g_array_append_val(sink->times, now);
}

gboolean tones_sink_has_1(TonesSink *sink)
{
    return sink->packets->len >= 1;
}

gboolean tones_sink_has_10(TonesSink *sink)
{
    return sink->packets->len >= 10;
}

static gboolean wake(gpointer data)
{
    (void)data;
    return G_SOURCE_REMOVE;
}

/* Deadlines are written for a normal build; under the sanitizers (make
 * check-asan sets CG_TEST_TIMEOUT_SCALE) everything runs several times
 * slower. */
static guint timeout_scale(void)
{
    const char *v = g_getenv("CG_TEST_TIMEOUT_SCALE");
    guint64 n = v ? g_ascii_strtoull(v, NULL, 10) : 1;
    return (guint)CLAMP(n, 1, 20);
}

static gboolean run_until(gboolean (*done)(gpointer), gpointer data, gint64 timeout_ms)
{
    GMainContext *ctx = g_main_context_get_thread_default();
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    while (!done(data) && g_get_monotonic_time() < deadline) {
        /* a wake-up at the deadline, so the poll cannot outlive it */
        GSource *t = g_timeout_source_new(MAX((deadline - g_get_monotonic_time()) / 1000, 1));
        g_source_set_callback(t, wake, NULL, NULL);
        g_source_attach(t, ctx);
        g_main_context_iteration(ctx, TRUE);
        g_source_destroy(t);
        g_source_unref(t);
    }
    return done(data);
}

gboolean tones_run_until(gboolean (*done)(gpointer), gpointer data, guint timeout_ms)
{
    return run_until(done, data, (gint64)timeout_ms * timeout_scale());
}

static gboolean never(gpointer data)
{
    (void)data;
    return FALSE;
}

void tones_run_for(guint ms)
{
    run_until(never, NULL, ms);
}
