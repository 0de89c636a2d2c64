/* load_common.c — see load_common.h. */
#include "load_common.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _ItLoad {
    GSubprocess *process;
    GDataInputStream *lines;
    GCancellable *cancel;
    GPtrArray *events; /* json_t*, every line read */
    gboolean eof;
};

static void read_next(ItLoad *load);

static void on_line(GObject *source, GAsyncResult *res, gpointer user)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line =
        g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    ItLoad *load = user;
    if (!line) {
        load->eof = TRUE;
        return;
    }
    json_t *j = json_loads(line, 0, NULL);
    if (j)
        g_ptr_array_add(load->events, j);
    else
        g_test_message("sigload: unparsed line: %s", line);
    read_next(load);
}

static void read_next(ItLoad *load)
{
    g_data_input_stream_read_line_async(load->lines, G_PRIORITY_DEFAULT, load->cancel, on_line,
                                        load);
}

ItLoad *it_load_start(guint16 port, const char *const *args)
{
    const char *bin = g_getenv("CG_SIGLOAD");
    g_assert_nonnull(bin); /* set by CTest */
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(bin));
    g_ptr_array_add(argv, g_strdup_printf("--port=%u", port));
    for (guint i = 0; args && args[i]; i++)
        g_ptr_array_add(argv, g_strdup(args[i]));
    g_ptr_array_add(argv, NULL);
    g_autoptr(GError) error = NULL;
    ItLoad *load = g_new0(ItLoad, 1);
    load->process =
        g_subprocess_newv((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
    g_assert_no_error(error);
    load->lines = g_data_input_stream_new(g_subprocess_get_stdout_pipe(load->process));
    load->cancel = g_cancellable_new();
    load->events = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    read_next(load);
    return load;
}

typedef struct {
    ItLoad *load;
    const char *event;
    guint from;
    json_t *found;
} EventWait;

static gboolean event_seen(gpointer data)
{
    EventWait *w = data;
    for (guint i = w->from; i < w->load->events->len && !w->found; i++) {
        json_t *j = g_ptr_array_index(w->load->events, i);
        if (g_strcmp0(json_string_value(json_object_get(j, "event")), w->event) == 0)
            w->found = j;
    }
    w->from = w->load->events->len;
    return w->found || w->load->eof;
}

json_t *it_load_wait_event(ItLoad *load, const char *event, guint timeout_ms)
{
    EventWait w = {load, event, 0, NULL};
    cg_test_wait_until(event_seen, &w, timeout_ms);
    return w.found;
}

json_t *it_load_last(ItLoad *load)
{
    return load->events->len ? g_ptr_array_index(load->events, load->events->len - 1) : NULL;
}

json_t *it_load_stop(ItLoad *load, guint timeout_ms)
{
    if (!load->eof)
        g_subprocess_send_signal(load->process, SIGTERM);
    return it_load_wait_event(load, "summary", timeout_ms);
}

void it_load_free(ItLoad *load)
{
    if (!load)
        return;
    if (!load->eof && !it_load_stop(load, 10000))
        g_subprocess_force_exit(load->process);
    g_subprocess_wait(load->process, NULL, NULL);
    g_cancellable_cancel(load->cancel);
    g_clear_object(&load->lines);
    g_clear_object(&load->process);
    g_clear_object(&load->cancel);
    g_ptr_array_unref(load->events);
    g_free(load);
}

guint it_load_count(json_t *line, const char *kind, const char *field)
{
    json_t *k = json_object_get(json_object_get(line, "kinds"), kind);
    return (guint)json_integer_value(json_object_get(k, field));
}

guint it_load_total(json_t *line, const char *field)
{
    guint sum = 0;
    const char *kind;
    json_t *k;
    json_object_foreach(json_object_get(line, "kinds"), kind, k)
    {
        sum += (guint)json_integer_value(json_object_get(k, field));
    }
    return sum;
}

guint it_load_max(ItLoad *load, const char *kind, const char *field)
{
    guint max = 0;
    for (guint i = 0; i < load->events->len; i++) {
        json_t *j = g_ptr_array_index(load->events, i);
        max = MAX(max, kind ? it_load_count(j, kind, field) : it_load_total(j, field));
    }
    return max;
}

static gboolean sample(gpointer data)
{
    ItProcSampler *s = data;
    s->max_rss_kib = MAX(s->max_rss_kib, cg_fx_proc_rss_kib(s->pid));
    s->max_fds = MAX(s->max_fds, cg_fx_proc_fds(s->pid));
    return G_SOURCE_CONTINUE;
}

void it_sampler_start(ItProcSampler *s, GPid pid)
{
    *s = (ItProcSampler){.pid = pid};
    sample(s);
    s->source_id = g_timeout_add(100, sample, s);
}

void it_sampler_stop(ItProcSampler *s)
{
    sample(s);
    g_clear_handle_id(&s->source_id, g_source_remove);
}

void it_flow_snapshot(CgTestEndpoint *ep, const char *from, ItFlow *out)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    memset(out, 0, sizeof *out);
    out->frames = cg_test_endpoint_frames_from(ep, from);
    out->video_packets = cg_rtc_peer_video_packets(peer, from);
    out->audio_packets = cg_rtc_peer_audio_packets(peer, from);
    CgRtcPeerReceiveRepair r;
    if (cg_rtc_peer_receive_repair(peer, from, TRUE, &r))
        out->lost += r.lost;
    if (cg_rtc_peer_receive_repair(peer, from, FALSE, &r))
        out->lost += r.lost;
}

static gboolean time_reached(gpointer data)
{
    return g_get_monotonic_time() >= *(const gint64 *)data;
}

void it_run_for(guint ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;
    cg_test_wait_until(time_reached, &until, ms + 1000);
}

gint64 it_timed_join(CgTestDaemon *daemon, const char *token, guint timeout_ms)
{
    CgTestEndpointOptions o = {.no_publish = TRUE};
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(CgTestEndpoint) ep = cg_test_endpoint_new(
        cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), token, &o);
    g_autoptr(GError) error = NULL;
    if (!cg_test_endpoint_wait_joined(ep, timeout_ms, &error)) {
        g_test_message("join not answered in %u ms: %s", timeout_ms, error ? error->message : "?");
        return -1;
    }
    gint64 took = g_get_monotonic_time() - t0;
    cg_test_endpoint_leave(ep);
    cg_wss_client_wait_closed(cg_test_endpoint_wss(ep), 2000);
    return took;
}
