/* mixer.c — one GStreamer audio mix (mixer.h).
 *
 * Pipeline:
 *   audiotestsrc (silence, live: the clock runs with no inputs) ─┐
 *   per input: appsrc → rtpjitterbuffer → rtpopusdepay → opusdec ┤
 *   → audiomixer (F32, per-pad volume) → [limiter probe] → audioconvert (S16)
 *   → opusenc → rtpopuspay → appsink
 *
 * The state shared with the streaming threads lives in a GSource
 * (CgMixerShared, refcounted by GLib): the output queue the appsink fills
 * and the main context drains, the counters, the limiter and the raised
 * gains waiting for the next output buffer.
 */
#include "mixer.h"

#include "limiter.h"
#include "opus_packet.h"

#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <string.h>

#define CG_MIXER_MAX_INPUTS 32
#define CG_MIXER_MAX_PACKET 1500
#define CG_MIXER_IN_QUEUE_PACKETS 25  /* 500 ms of 20 ms packets */
#define CG_MIXER_OUT_QUEUE_PACKETS 25 /* idem, toward the main loop */
#define CG_MIXER_JITTER_MS 20u
/* How long audiomixer waits for an input's audio past the jitter buffer
 * before mixing without it (scheduling slack). */
#define CG_MIXER_INPUT_SLACK_MS 10u
#define CG_MIXER_INPUT_LATENCY_MS (CG_MIXER_JITTER_MS + CG_MIXER_INPUT_SLACK_MS)
#define CG_MIXER_BUFFER_MS 10u
/* The limiter's ceiling before the encoder: Opus overshoots on loud
 * transients (measured: +0.9 dB on two full-scale tones, up to +3 dB where
 * a starved mix had holes), and it is the DECODED mix that must stay under
 * CG_MIXER_CEILING. */
#define CG_MIXER_INNER_CEILING (CG_MIXER_CEILING * 0.7071) /* -3 dB of margin: -6 dBFS */

typedef struct {
    GstPad *pad; /* audiomixer sink pad (ref) */
    guint64 id;
    double gain;
} CgMixerPendingGain;

typedef struct {
    GSource source;
    CgMixerOutput output;
    gpointer user;
    GMutex lock;     /* everything below */
    GQueue packets;  /* GBytes, at most CG_MIXER_OUT_QUEUE_PACKETS */
    GArray *pending; /* CgMixerPendingGain: raised gains for the next buffer */
    CgMixerCounters counters;
    CgLimiter *limiter; /* the audiomixer's streaming thread only */
} CgMixerShared;

typedef struct {
    guint64 id;
    guint8 payload_type;
    /* the volume last set on the pad from this thread: the pad has it, or a
     * raise still pending (or applied since) above it */
    double gain;
    GstElement *bin;
    GstElement *appsrc;
    GstPad *mixer_pad; /* audiomixer request pad (ref) */
    gint removing;     /* atomic: the chain's output is dropped */
} CgMixerInput;

struct _CgMixer {
    char *name;
    GMainContext *context;
    CgMixerShared *shared;
    GstElement *pipeline;
    GstElement *audiomixer;
    GSource *bus_source;
    GHashTable *inputs; /* id → CgMixerInput */
};

/* ---- shared state (any thread) ---------------------------------------- */

static void pending_gain_clear(gpointer p)
{
    CgMixerPendingGain *g = p;
    g_clear_object(&g->pad);
}

static gboolean shared_dispatch(GSource *source, GSourceFunc callback, gpointer user)
{
    (void)callback;
    (void)user;
    CgMixerShared *s = (CgMixerShared *)source;
    g_source_set_ready_time(source, -1);
    while (!g_source_is_destroyed(source)) {
        g_mutex_lock(&s->lock);
        GBytes *packet = g_queue_pop_head(&s->packets);
        if (packet)
            s->counters.packets_out++;
        g_mutex_unlock(&s->lock);
        if (!packet)
            break;
        gsize len;
        const guint8 *data = g_bytes_get_data(packet, &len);
        s->output(s->user, data, len); /* may free the mixer: checked above */
        g_bytes_unref(packet);
    }
    return G_SOURCE_CONTINUE;
}

static void shared_finalize(GSource *source)
{
    CgMixerShared *s = (CgMixerShared *)source;
    g_queue_clear_full(&s->packets, (GDestroyNotify)g_bytes_unref);
    g_array_unref(s->pending);
    cg_limiter_free(s->limiter);
    g_mutex_clear(&s->lock);
}

static GSourceFuncs shared_funcs = {
    .dispatch = shared_dispatch,
    .finalize = shared_finalize,
};

static CgMixerShared *shared_new(CgMixerOutput output, gpointer user)
{
    CgMixerShared *s = (CgMixerShared *)g_source_new(&shared_funcs, sizeof(CgMixerShared));
    s->output = output;
    s->user = user;
    g_mutex_init(&s->lock);
    g_queue_init(&s->packets);
    s->pending = g_array_new(FALSE, FALSE, sizeof(CgMixerPendingGain));
    g_array_set_clear_func(s->pending, pending_gain_clear);
    s->limiter = cg_limiter_new(CG_MIXER_CLOCK_RATE, 1, (float)CG_MIXER_INNER_CEILING,
                                CG_MIXER_ATTACK_MS, CG_MIXER_RELEASE_MS);
    g_source_set_static_name(&s->source, "cg-mixer");
    return s;
}

/* Drops a pending raise of input @id (it was lowered or removed since). */
static void shared_forget_pending(CgMixerShared *s, guint64 id)
{
    for (guint i = s->pending->len; i-- > 0;)
        if (g_array_index(s->pending, CgMixerPendingGain, i).id == id)
            g_array_remove_index(s->pending, i);
}

/* ---- streaming threads ------------------------------------------------- */

/* appsink: a packet of the mix → the bounded queue → the main context. */
static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer user)
{
    CgMixerShared *s = user;
    GstSample *sample = gst_app_sink_pull_sample(sink);
    if (!sample)
        return GST_FLOW_OK;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstMapInfo map;
    if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
        GBytes *packet = g_bytes_new(map.data, map.size);
        gst_buffer_unmap(buf, &map);
        g_mutex_lock(&s->lock);
        if (s->packets.length >= CG_MIXER_OUT_QUEUE_PACKETS) {
            g_bytes_unref(g_queue_pop_head(&s->packets));
            s->counters.dropped++;
        }
        g_queue_push_tail(&s->packets, packet);
        g_mutex_unlock(&s->lock);
        g_source_set_ready_time(&s->source, 0);
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
}

/* audiomixer's src pad, between two aggregates (so no output buffer is
 * mixed while we change the gains): applies the raised gains, then limits
 * the buffer in place. */
static GstPadProbeReturn on_mixed(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    (void)pad;
    CgMixerShared *s = user;
    GArray *raise = NULL;
    g_mutex_lock(&s->lock);
    if (s->pending->len) {
        raise = s->pending;
        s->pending = g_array_new(FALSE, FALSE, sizeof(CgMixerPendingGain));
        g_array_set_clear_func(s->pending, pending_gain_clear);
    }
    g_mutex_unlock(&s->lock);
    if (raise) {
        for (guint i = 0; i < raise->len; i++) {
            CgMixerPendingGain *g = &g_array_index(raise, CgMixerPendingGain, i);
            g_object_set(g->pad, "volume", g->gain, NULL);
        }
        g_array_unref(raise);
    }

    GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READWRITE))
        return GST_PAD_PROBE_OK;
    float peak = cg_limiter_process(s->limiter, (float *)map.data, map.size / sizeof(float));
    gst_buffer_unmap(buf, &map);
    /* The look-ahead carries sound into a buffer the mixer marked silent. */
    GST_BUFFER_FLAG_UNSET(buf, GST_BUFFER_FLAG_GAP);
    g_mutex_lock(&s->lock);
    if (peak > s->counters.peak)
        s->counters.peak = peak;
    g_mutex_unlock(&s->lock);
    return GST_PAD_PROBE_OK;
}

/* An input being removed: its last buffers go nowhere (not "not-linked"). */
static GstPadProbeReturn on_input_data(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    (void)pad;
    (void)info;
    CgMixerInput *in = user;
    return g_atomic_int_get(&in->removing) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* An input's latency, as audiomixer sees it: the jitter buffer's and some
 * slack. opusdec with in-band FEC says 120 ms (the longest Opus packet),
 * and audiomixer would then stall the whole mix for that long whenever an
 * input pauses (a muted speaker). Its one-packet FEC delay is already in
 * the timestamps. */
static GstPadProbeReturn on_input_query(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    (void)pad;
    (void)user;
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
        return GST_PAD_PROBE_OK;
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency(query, &live, &min, &max);
    min = (GstClockTime)CG_MIXER_INPUT_LATENCY_MS * GST_MSECOND;
    if (GST_CLOCK_TIME_IS_VALID(max) && max < min)
        max = min;
    gst_query_set_latency(query, live, min, max);
    return GST_PAD_PROBE_OK;
}

/* The silent source answers the latency query only once it has caps; the
 * query the pipeline made when it started may have failed, and audiomixer
 * would then wait for every input instead of timing out like a live mixer
 * (the mix would stall whenever an input pauses). Ask again. */
static GstPadProbeReturn on_silence_caps(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    (void)user;
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_CAPS)
        return GST_PAD_PROBE_OK;
    GstElement *src = gst_pad_get_parent_element(pad);
    if (src) {
        gst_element_post_message(src, gst_message_new_latency(GST_OBJECT(src)));
        gst_object_unref(src);
    }
    return GST_PAD_PROBE_REMOVE;
}

/* ---- main context ------------------------------------------------------ */

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
    (void)bus;
    CgMixer *mixer = user;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
        g_autoptr(GError) err = NULL;
        g_autofree char *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        g_warning("[mix|%s] %s: %s (%s)", mixer->name, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                  err->message, debug ? debug : "");
        break;
    }
    case GST_MESSAGE_WARNING: {
        g_autoptr(GError) err = NULL;
        gst_message_parse_warning(msg, &err, NULL);
        g_debug("[mix|%s] %s: %s", mixer->name, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                err->message);
        break;
    }
    case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency(GST_BIN(mixer->pipeline));
        break;
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

static GstElement *make(const char *factory, const char *name, GError **error)
{
    GstElement *e = gst_element_factory_make(factory, name);
    if (!e)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "GStreamer element %s is missing (install its plugin)", factory);
    return e;
}

static GstElement *make_caps_filter(const char *caps)
{
    GstElement *f = gst_element_factory_make("capsfilter", NULL);
    g_autoptr(GstCaps) c = gst_caps_from_string(caps);
    g_object_set(f, "caps", c, NULL);
    return f;
}

/* silence (live) → audiomixer → limiter → S16 → opusenc → rtpopuspay → appsink */
static gboolean build_pipeline(CgMixer *mixer, GError **error)
{
    GstElement *silence = make("audiotestsrc", "silence", error);
    /* force-live: mix on time even if a latency query failed (the silent
     * source answers it only once it has caps) */
    GstElement *amix = silence ? gst_element_factory_make_full("audiomixer", "name", "mix",
                                                               "force-live", TRUE, NULL)
                               : NULL;
    if (silence && !amix)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "GStreamer element audiomixer is missing (install its plugin)");
    GstElement *convert = amix ? make("audioconvert", NULL, error) : NULL;
    GstElement *enc = convert ? make("opusenc", "enc", error) : NULL;
    GstElement *pay = enc ? make("rtpopuspay", NULL, error) : NULL;
    GstElement *sink = pay ? make("appsink", "out", error) : NULL;
    if (!sink) {
        GstElement *made[] = {silence, amix, convert, enc, pay};
        for (guint i = 0; i < G_N_ELEMENTS(made); i++)
            if (made[i])
                gst_object_unref(gst_object_ref_sink(made[i]));
        return FALSE;
    }
    GstElement *raw = make_caps_filter("audio/x-raw,format=F32LE,rate=48000,channels=1");
    GstElement *mixed = make_caps_filter("audio/x-raw,format=F32LE,rate=48000,channels=1");
    GstElement *s16 = make_caps_filter("audio/x-raw,format=S16LE,rate=48000,channels=1");

    g_object_set(silence, "wave", 4 /* silence */, "is-live", TRUE, "samplesperbuffer",
                 CG_MIXER_CLOCK_RATE * CG_MIXER_BUFFER_MS / 1000, NULL);
    /* Inputs come and go while playing: reserve their latency up front. */
    g_object_set(amix, "latency", (guint64)CG_MIXER_BUFFER_MS * GST_MSECOND, "min-upstream-latency",
                 (guint64)CG_MIXER_INPUT_LATENCY_MS * GST_MSECOND, "output-buffer-duration",
                 (guint64)CG_MIXER_BUFFER_MS * GST_MSECOND, "ignore-inactive-pads", TRUE,
                 /* an input whose audio does not follow its timestamps
                  * (garbage, a decoder out of step) is put back in place at
                  * once, not after 1 s */
                 "discont-wait", (guint64)0, NULL);
    g_object_set(enc, "bitrate", (gint)CG_MIXER_BITRATE_BPS, "inband-fec", TRUE,
                 "packet-loss-percentage", 10, NULL);
    gst_util_set_object_arg(G_OBJECT(enc), "bandwidth", "fullband");
    gst_util_set_object_arg(G_OBJECT(enc), "frame-size", "20");
    gst_util_set_object_arg(G_OBJECT(enc), "audio-type", "voice");
    g_object_set(pay, "pt", (guint)CG_MIXER_PAYLOAD_TYPE, NULL);
    g_object_set(sink, "sync", FALSE, "max-buffers", 16u, "drop", TRUE, NULL);

    gst_bin_add_many(GST_BIN(mixer->pipeline), silence, raw, amix, mixed, convert, s16, enc, pay,
                     sink, NULL);
    if (!gst_element_link_many(silence, raw, amix, mixed, convert, s16, enc, pay, sink, NULL)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link the mix pipeline");
        return FALSE;
    }
    mixer->audiomixer = amix;

    GstAppSinkCallbacks callbacks = {.new_sample = on_new_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, g_source_ref(&mixer->shared->source),
                               (GDestroyNotify)g_source_unref);
    g_autoptr(GstPad) silent = gst_element_get_static_pad(silence, "src");
    gst_pad_add_probe(silent, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_silence_caps, NULL, NULL);
    g_autoptr(GstPad) src = gst_element_get_static_pad(amix, "src");
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_mixed,
                      g_source_ref(&mixer->shared->source), (GDestroyNotify)g_source_unref);
    return TRUE;
}

CgMixer *cg_mixer_new(const char *name, CgMixerOutput output, gpointer user, GError **error)
{
    g_return_val_if_fail(name && output, NULL);
    CgMixer *mixer = g_new0(CgMixer, 1);
    mixer->name = g_strdup(name);
    mixer->context = g_main_context_ref_thread_default();
    mixer->inputs = g_hash_table_new(g_int64_hash, g_int64_equal);
    mixer->shared = shared_new(output, user);
    g_source_set_ready_time(&mixer->shared->source, -1);
    g_source_attach(&mixer->shared->source, mixer->context);

    g_autofree char *pname = g_strdup_printf("mix-%s", name);
    mixer->pipeline = gst_pipeline_new(pname);
    if (!build_pipeline(mixer, error)) {
        cg_mixer_free(mixer);
        return NULL;
    }
    g_autoptr(GstBus) bus = gst_pipeline_get_bus(GST_PIPELINE(mixer->pipeline));
    mixer->bus_source = gst_bus_create_watch(bus);
    g_source_set_callback(mixer->bus_source, G_SOURCE_FUNC(on_bus), mixer, NULL);
    g_source_attach(mixer->bus_source, mixer->context);

    if (gst_element_set_state(mixer->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "mix %s: the pipeline does not start",
                    name);
        cg_mixer_free(mixer);
        return NULL;
    }
    g_debug("[mix|%s] playing", name);
    return mixer;
}

static void input_free(CgMixerInput *in)
{
    g_clear_object(&in->mixer_pad);
    g_free(in);
}

/* Detaches @in from the running pipeline: its output is dropped, the mixer
 * pad released (waking a push blocked in it), then the chain stopped. */
static void input_stop(CgMixer *mixer, CgMixerInput *in)
{
    g_atomic_int_set(&in->removing, 1);
    g_mutex_lock(&mixer->shared->lock);
    shared_forget_pending(mixer->shared, in->id);
    g_mutex_unlock(&mixer->shared->lock);
    if (in->mixer_pad)
        gst_element_release_request_pad(mixer->audiomixer, in->mixer_pad);
    /* Locked, then out of the pipeline, then NULL again: the pipeline
     * finishing its own change to PLAYING (on a thread of its own, just
     * after cg_mixer_new) could otherwise start the chain again. */
    gst_element_set_locked_state(in->bin, TRUE);
    gst_element_set_state(in->bin, GST_STATE_NULL);
    gst_object_ref(in->bin);
    gst_bin_remove(GST_BIN(mixer->pipeline), in->bin);
    gst_element_set_state(in->bin, GST_STATE_NULL);
    gst_object_unref(in->bin);
}

void cg_mixer_free(CgMixer *mixer)
{
    if (!mixer)
        return;
    if (mixer->pipeline)
        gst_element_set_state(mixer->pipeline, GST_STATE_NULL);
    /* The streaming threads are gone: nothing queues output any more. */
    g_source_destroy(&mixer->shared->source);
    g_source_unref(&mixer->shared->source);
    if (mixer->bus_source) {
        g_source_destroy(mixer->bus_source);
        g_source_unref(mixer->bus_source);
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, mixer->inputs);
    while (g_hash_table_iter_next(&it, NULL, &value))
        input_free(value);
    g_hash_table_unref(mixer->inputs);
    g_clear_object(&mixer->pipeline);
    g_main_context_unref(mixer->context);
    g_debug("[mix|%s] freed", mixer->name);
    g_free(mixer->name);
    g_free(mixer);
}

/* appsrc → rtpjitterbuffer → rtpopusdepay → opusdec → mono 48 kHz, in a bin. */
static GstElement *input_bin(CgMixerInput *in, GError **error)
{
    g_autofree char *name = g_strdup_printf("in-%" G_GUINT64_FORMAT, in->id);
    GstElement *bin = gst_bin_new(name);
    const char *factories[] = {"appsrc", "rtpjitterbuffer", "rtpopusdepay", "opusdec"};
    GstElement *e[G_N_ELEMENTS(factories) + 1];
    for (guint i = 0; i < G_N_ELEMENTS(factories); i++) {
        e[i] = make(factories[i], NULL, error);
        if (!e[i]) {
            gst_object_unref(gst_object_ref_sink(bin));
            return NULL;
        }
        gst_bin_add(GST_BIN(bin), e[i]);
    }
    e[4] = make_caps_filter("audio/x-raw,rate=48000,channels=1");
    gst_bin_add(GST_BIN(bin), e[4]);

    g_autofree char *caps = g_strdup_printf(
        "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=%u",
        in->payload_type);
    g_autoptr(GstCaps) c = gst_caps_from_string(caps);
    g_object_set(e[0], "caps", c, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                 "max-buffers", (guint64)CG_MIXER_IN_QUEUE_PACKETS, "max-bytes",
                 (guint64)CG_MIXER_IN_QUEUE_PACKETS * CG_MIXER_MAX_PACKET, "block", FALSE, NULL);
    gst_util_set_object_arg(G_OBJECT(e[0]), "leaky-type", "downstream");
    g_object_set(e[1], "latency", CG_MIXER_JITTER_MS, "do-lost", TRUE, "drop-on-latency", TRUE,
                 NULL);
    g_object_set(e[3], "plc", TRUE, "use-inband-fec", TRUE, NULL);
    in->appsrc = e[0];
    for (guint i = 0; i + 1 < G_N_ELEMENTS(e); i++)
        if (!gst_element_link(e[i], e[i + 1])) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot link input %s", name);
            gst_object_unref(gst_object_ref_sink(bin));
            return NULL;
        }
    g_autoptr(GstPad) out = gst_element_get_static_pad(e[4], "src");
    gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, on_input_data, in, NULL);
    gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM | GST_PAD_PROBE_TYPE_PULL,
                      on_input_query, NULL, NULL);
    gst_element_add_pad(bin, gst_ghost_pad_new("src", out));
    return bin;
}

gboolean cg_mixer_add_input(CgMixer *mixer, guint64 id, guint8 payload_type, double gain,
                            GError **error)
{
    g_return_val_if_fail(mixer && id != 0, FALSE);
    if (g_hash_table_contains(mixer->inputs, &id)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "mix %s already has input %" G_GUINT64_FORMAT, mixer->name, id);
        return FALSE;
    }
    if (g_hash_table_size(mixer->inputs) >= CG_MIXER_MAX_INPUTS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "mix %s has %u inputs already (limit)",
                    mixer->name, CG_MIXER_MAX_INPUTS);
        return FALSE;
    }
    CgMixerInput *in = g_new0(CgMixerInput, 1);
    in->id = id;
    in->payload_type = payload_type & 0x7f;
    in->gain = CLAMP(gain, 0.0, 1.0);
    in->bin = input_bin(in, error);
    if (!in->bin) {
        g_free(in);
        return FALSE;
    }
    gst_bin_add(GST_BIN(mixer->pipeline), in->bin);
    in->mixer_pad = gst_element_request_pad_simple(mixer->audiomixer, "sink_%u");
    g_object_set(in->mixer_pad, "volume", in->gain, NULL);
    g_autoptr(GstPad) src = gst_element_get_static_pad(in->bin, "src");
    if (gst_pad_link(src, in->mixer_pad) != GST_PAD_LINK_OK ||
        !gst_element_sync_state_with_parent(in->bin)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "mix %s: input %" G_GUINT64_FORMAT " does not start", mixer->name, id);
        input_stop(mixer, in);
        input_free(in);
        return FALSE;
    }
    g_hash_table_insert(mixer->inputs, &in->id, in);
    g_debug("[mix|%s] input %" G_GUINT64_FORMAT " added (pt %u, gain %.3f)", mixer->name, id,
            in->payload_type, in->gain);
    return TRUE;
}

void cg_mixer_remove_input(CgMixer *mixer, guint64 id)
{
    g_return_if_fail(mixer);
    CgMixerInput *in = g_hash_table_lookup(mixer->inputs, &id);
    if (!in)
        return;
    g_hash_table_remove(mixer->inputs, &id);
    input_stop(mixer, in);
    input_free(in);
    g_debug("[mix|%s] input %" G_GUINT64_FORMAT " removed", mixer->name, id);
}

gboolean cg_mixer_has_input(CgMixer *mixer, guint64 id)
{
    g_return_val_if_fail(mixer, FALSE);
    return g_hash_table_contains(mixer->inputs, &id);
}

void cg_mixer_set_gains(CgMixer *mixer, const CgMixerGain *gains, guint n)
{
    g_return_if_fail(mixer && (gains || n == 0));
    CgMixerShared *s = mixer->shared;
    /* Lowered gains now, raised ones between two output buffers (on_mixed):
     * a buffer may miss both of a hand-over, never carry both. */
    for (guint i = 0; i < n; i++) {
        CgMixerInput *in = g_hash_table_lookup(mixer->inputs, &gains[i].id);
        if (!in)
            continue;
        double gain = CLAMP(gains[i].gain, 0.0, 1.0);
        /* Under in->gain it is lower than whatever the pad has now. */
        gboolean lower = gain <= in->gain;
        g_mutex_lock(&s->lock);
        shared_forget_pending(s, in->id);
        if (!lower) {
            CgMixerPendingGain p = {g_object_ref(in->mixer_pad), in->id, gain};
            g_array_append_val(s->pending, p);
        }
        g_mutex_unlock(&s->lock);
        if (lower) {
            g_object_set(in->mixer_pad, "volume", gain, NULL);
            in->gain = gain;
        }
    }
}

void cg_mixer_push(CgMixer *mixer, guint64 id, const guint8 *rtp, gsize len)
{
    g_return_if_fail(mixer);
    CgMixerInput *in = g_hash_table_lookup(mixer->inputs, &id);
    if (!in)
        return;
    /* RTP of the input's payload type carrying a well-formed Opus packet,
     * else it goes nowhere (see opus_packet.h). */
    const guint8 *payload;
    gsize payload_len;
    if (!rtp || len > CG_MIXER_MAX_PACKET || !cg_rtp_payload(rtp, len, &payload, &payload_len) ||
        (rtp[1] & 0x7f) != in->payload_type || !cg_opus_packet_valid(payload, payload_len, NULL)) {
        g_mutex_lock(&mixer->shared->lock);
        mixer->shared->counters.invalid++;
        g_mutex_unlock(&mixer->shared->lock);
        return;
    }
    guint64 queued = gst_app_src_get_current_level_buffers(GST_APP_SRC(in->appsrc));
    g_mutex_lock(&mixer->shared->lock);
    mixer->shared->counters.packets_in++;
    if (queued >= CG_MIXER_IN_QUEUE_PACKETS)
        mixer->shared->counters.dropped++; /* appsrc drops its oldest */
    g_mutex_unlock(&mixer->shared->lock);
    gst_app_src_push_buffer(GST_APP_SRC(in->appsrc), gst_buffer_new_memdup(rtp, len));
}

void cg_mixer_counters(CgMixer *mixer, CgMixerCounters *out)
{
    g_return_if_fail(mixer && out);
    g_mutex_lock(&mixer->shared->lock);
    *out = mixer->shared->counters;
    g_mutex_unlock(&mixer->shared->lock);
}
