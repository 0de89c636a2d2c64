/* flow_common.c — see flow_common.h. */
#include "flow_common.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

/* ---- consults and tokens --------------------------------------------------- */

void flow_consult_free(FlowConsult *c)
{
    if (!c)
        return;
    for (guint i = 0; i < c->n; i++) {
        g_free(c->ids[i]);
        g_free(c->roles[i]);
        g_free(c->tokens[i]);
    }
    g_free(c->id);
    g_free(c->tenant);
    g_free(c);
}

CgTestDaemon *flow_start_daemon(guint n_tenants, const char *auth_extra)
{
    CgTestDaemonOptions o = {.n_tenants = n_tenants, .auth_extra = auth_extra};
    g_autoptr(GError) error = NULL;
    CgTestDaemon *d = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    return d;
}

static char *rfc3339(gint64 t)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
    return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

FlowConsult *flow_create(CgTestDaemon *d, const char *kind, gint64 starts_in_s,
                         guint duration_min, const char *const *roles)
{
    static const char *const names[] = {"Dr. Lee", "Sam Doe", "Dr. Osei", "Ana Ruiz", "Dr. Kim"};
    json_t *people = json_array();
    for (guint i = 0; roles[i]; i++) {
        g_assert_cmpuint(i, <, G_N_ELEMENTS(names));
        json_array_append_new(people, json_pack("{s:s, s:s}", "name", names[i], "role", roles[i]));
    }
    g_autofree char *starts = rfc3339(g_get_real_time() / G_USEC_PER_SEC + starts_in_s);
    json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "kind", kind, "specialty",
                            "dermatology", "title", "Flow test", "starts_at", starts,
                            "duration_min", (int)duration_min, "participants", people);
    g_autofree char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(d, "POST", "/api/v1/consults", cg_test_daemon_api_key(d, 0), body,
                          &status, &resp, &error);
    g_assert_no_error(error);
    if (status != 201)
        g_error("create consult: %u %s", status, resp ? json_dumps(resp, 0) : "");
    FlowConsult *c = g_new0(FlowConsult, 1);
    c->id = g_strdup(json_string_value(json_object_get(resp, "id")));
    c->tenant = g_strdup(cg_test_daemon_tenant_id(d, 0));
    json_t *ps = json_object_get(resp, "participants");
    c->n = (guint)json_array_size(ps);
    g_assert_cmpuint(c->n, ==, g_strv_length((char **)roles));
    for (guint i = 0; i < c->n; i++) {
        json_t *p = json_array_get(ps, i);
        c->ids[i] = g_strdup(json_string_value(json_object_get(p, "id")));
        c->roles[i] = g_strdup(json_string_value(json_object_get(p, "role")));
        c->tokens[i] = g_strdup(json_string_value(json_object_get(p, "token")));
        g_assert_nonnull(c->ids[i]);
        g_assert_nonnull(c->tokens[i]);
    }
    g_assert_nonnull(c->id);
    json_decref(resp);
    return c;
}

char *flow_mint(const char *secret, const char *alg, const char *iss, const char *sub,
                const char *consult, const char *role, gint64 nbf, gint64 exp)
{
    g_autofree char *header = g_strdup_printf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", iss, "sub", sub,
                               "consult", consult, "role", role, "name", "Someone", "nbf",
                               (json_int_t)nbf, "exp", (json_int_t)exp);
    g_autofree char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    return cg_test_mint_token(header, payload, secret);
}

/* ---- endpoints ---------------------------------------------------------------- */

struct _FlowEp {
    CgWssClient *wss;
    CgRtcPeer *peer;
    char *token;
    char *resume; /* sent with join when set */
    guint32 rgb;
    guint tone_hz;
    gboolean joined;
    GPtrArray *messages; /* json_t*, every message, oldest first */
};

static const char *str(json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

static void send_json(FlowEp *ep, json_t *m)
{
    cg_wss_client_send_json(ep->wss, m);
    json_decref(m);
}

static void on_local_description(gpointer user, const char *pc, const char *type,
                                 const char *sdp)
{
    send_json(user, json_pack("{s:s, s:s, s:s}", "type", type, "pc", pc, "sdp", sdp));
}

static void on_local_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    send_json(user, json_pack("{s:s, s:s, s:i, s:s}", "type", "candidate", "pc", pc,
                              "sdpMLineIndex", (json_int_t)mline, "candidate", cand));
}

static void on_message(CgWssClient *wss, json_t *msg, gpointer user)
{
    FlowEp *ep = user;
    const char *type = str(msg, "type");
    g_ptr_array_add(ep->messages, json_incref(msg));
    json_decref(cg_wss_client_pop(wss));
    if (!type)
        return;
    if (g_str_equal(type, "joined") && !ep->joined) {
        ep->joined = TRUE;
        if (ep->tone_hz) {
            static const CgRtcPeerEvents events = {on_local_description, on_local_candidate};
            CgRtcPeerOptions o = {.tone_hz = ep->tone_hz, .color_rgb = ep->rgb};
            ep->peer = cg_rtc_peer_new(&o, &events, ep);
            cg_rtc_peer_publish(ep->peer);
        }
    } else if ((g_str_equal(type, "offer") || g_str_equal(type, "answer")) && ep->peer &&
               str(msg, "pc") && str(msg, "sdp")) {
        cg_rtc_peer_remote_description(ep->peer, str(msg, "pc"), type, str(msg, "sdp"),
                                       str(msg, "participant"));
    } else if (g_str_equal(type, "candidate") && ep->peer && str(msg, "pc") &&
               str(msg, "candidate") && json_is_integer(json_object_get(msg, "sdpMLineIndex"))) {
        cg_rtc_peer_remote_candidate(
            ep->peer, str(msg, "pc"),
            (guint)json_integer_value(json_object_get(msg, "sdpMLineIndex")),
            str(msg, "candidate"));
    } else if (g_str_equal(type, "pc_closed") && ep->peer && str(msg, "pc")) {
        cg_rtc_peer_close_pc(ep->peer, str(msg, "pc"));
    }
}

static void on_open(CgWssClient *wss, gboolean opened, gpointer user)
{
    FlowEp *ep = user;
    if (!opened)
        return;
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", ep->token);
    if (ep->resume)
        json_object_set_new(join, "resume", json_string(ep->resume));
    send_json(ep, join);
    (void)wss;
}

static void connect_wss(FlowEp *ep, guint16 port, GTlsCertificate *cert)
{
    ep->wss = cg_wss_client_new(port, "/ws", cert);
    cg_wss_client_set_handler(ep->wss, on_message, ep);
    cg_wss_client_set_open_handler(ep->wss, on_open, ep);
}

FlowEp *flow_ep_new(guint16 port, GTlsCertificate *cert, const char *token, guint32 rgb,
                    guint tone_hz)
{
    FlowEp *ep = g_new0(FlowEp, 1);
    ep->token = g_strdup(token);
    ep->rgb = rgb;
    ep->tone_hz = tone_hz;
    ep->messages = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    connect_wss(ep, port, cert);
    return ep;
}

FlowEp *flow_ep_new_resuming(guint16 port, GTlsCertificate *cert, const char *token,
                             const char *resume)
{
    FlowEp *ep = g_new0(FlowEp, 1);
    ep->token = g_strdup(token);
    ep->resume = g_strdup(resume);
    ep->messages = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    connect_wss(ep, port, cert);
    return ep;
}

const char *flow_ep_resume_id(FlowEp *ep)
{
    json_t *joined = flow_ep_last(ep, "joined");
    return json_string_value(json_object_get(json_object_get(joined, "resume"), "id"));
}

void flow_ep_drop(FlowEp *ep)
{
    /* Freeing the client cancels its reads and writes and unrefs the TLS
     * connection, which closes the TCP socket: no close frame, no leave. */
    g_clear_pointer(&ep->wss, cg_wss_client_free);
    cg_test_run_for(50);
}

void flow_ep_reconnect(FlowEp *ep, guint16 port, GTlsCertificate *cert, const char *resume)
{
    g_clear_pointer(&ep->wss, cg_wss_client_free);
    g_free(ep->resume);
    ep->resume = g_strdup(resume);
    g_ptr_array_set_size(ep->messages, 0);
    connect_wss(ep, port, cert);
}

void flow_ep_free(FlowEp *ep)
{
    if (!ep)
        return;
    g_clear_pointer(&ep->peer, cg_rtc_peer_free);
    g_clear_pointer(&ep->wss, cg_wss_client_free);
    g_ptr_array_unref(ep->messages);
    g_free(ep->token);
    g_free(ep->resume);
    g_free(ep);
}

CgWssClient *flow_ep_wss(FlowEp *ep)
{
    return ep->wss;
}

CgRtcPeer *flow_ep_peer(FlowEp *ep)
{
    return ep->peer;
}

gboolean flow_ep_joined(FlowEp *ep)
{
    return ep->joined;
}

json_t *flow_ep_last(FlowEp *ep, const char *type)
{
    for (guint i = ep->messages->len; i > 0; i--) {
        json_t *m = ep->messages->pdata[i - 1];
        if (g_strcmp0(str(m, "type"), type) == 0)
            return m;
    }
    return NULL;
}

guint flow_ep_count_about(FlowEp *ep, const char *type, const char *participant)
{
    guint n = 0;
    for (guint i = 0; i < ep->messages->len; i++) {
        json_t *m = ep->messages->pdata[i];
        json_t *p = json_object_get(m, "participant");
        const char *id = json_is_object(p) ? str(p, "id") : json_string_value(p);
        n += g_strcmp0(str(m, "type"), type) == 0 && g_strcmp0(id, participant) == 0;
    }
    return n;
}

typedef struct {
    FlowEp *ep;
    const char *type;
    const char *code;
    const char *const *ids;
} Wait;

static gboolean has_type(gpointer data)
{
    Wait *w = data;
    return flow_ep_last(w->ep, w->type) != NULL;
}

json_t *flow_ep_wait(FlowEp *ep, const char *type, guint timeout_ms)
{
    Wait w = {ep, type, NULL, NULL};
    cg_test_wait_until(has_type, &w, timeout_ms);
    return flow_ep_last(ep, type);
}

static gboolean has_error(gpointer data)
{
    Wait *w = data;
    for (guint i = 0; i < w->ep->messages->len; i++) {
        json_t *m = w->ep->messages->pdata[i];
        if (g_strcmp0(str(m, "type"), "error") == 0 && g_strcmp0(str(m, "code"), w->code) == 0)
            return TRUE;
    }
    return FALSE;
}

static char *all_messages(FlowEp *ep)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < ep->messages->len; i++) {
        char *t = json_dumps(ep->messages->pdata[i], JSON_COMPACT);
        g_string_append_printf(s, "\n  %.200s", t);
        free(t);
    }
    return g_string_free(s, FALSE);
}

void flow_ep_expect_error(FlowEp *ep, const char *code)
{
    Wait w = {ep, NULL, code, NULL};
    if (!cg_test_wait_until(has_error, &w, FLOW_TIMEOUT_MS)) {
        g_autofree char *got = all_messages(ep);
        g_error("no error %s within %d ms; got:%s", code, FLOW_TIMEOUT_MS, got);
    }
}

static gboolean list_is(gpointer data)
{
    Wait *w = data;
    json_t *m = flow_ep_last(w->ep, "waiting_list");
    json_t *list = json_object_get(m, "waiting");
    if (!json_is_array(list) || json_array_size(list) != g_strv_length((char **)w->ids))
        return FALSE;
    for (gsize i = 0; i < json_array_size(list); i++)
        if (!g_strv_contains(w->ids, str(json_array_get(list, i), "id") ?: ""))
            return FALSE;
    return TRUE;
}

void flow_ep_expect_waiting_list(FlowEp *ep, const char *const *ids)
{
    Wait w = {ep, NULL, NULL, ids};
    if (!cg_test_wait_until(list_is, &w, FLOW_TIMEOUT_MS)) {
        g_autofree char *got = all_messages(ep);
        g_error("waiting_list never had the %u expected ids; got:%s",
                g_strv_length((char **)ids), got);
    }
}

void flow_ep_send(FlowEp *ep, const char *type, const char *participant)
{
    json_t *m = json_pack("{s:s}", "type", type);
    if (participant)
        json_object_set_new(m, "participant", json_string(participant));
    send_json(ep, m);
}

void flow_ep_expect_closed(FlowEp *ep, guint status, const char *reason)
{
    if (!cg_wss_client_wait_closed(ep->wss, FLOW_TIMEOUT_MS))
        g_error("socket still open %d ms after the expected close %u %s", FLOW_TIMEOUT_MS,
                status, reason);
    g_assert_cmpuint(cg_wss_client_close_status(ep->wss), ==, status);
    g_assert_cmpstr(cg_wss_client_close_reason(ep->wss), ==, reason);
}

typedef struct {
    FlowEp *ep;
    const char *id;
    guint n;
} FrameWait;

static gboolean enough_frames(gpointer data)
{
    FrameWait *w = data;
    return w->ep->peer && cg_rtc_peer_video_frames(w->ep->peer, w->id) >= w->n;
}

void flow_ep_expect_frames(FlowEp *ep, const char *id, guint n)
{
    FrameWait w = {ep, id, n};
    if (!cg_test_wait_until(enough_frames, &w, FLOW_MEDIA_TIMEOUT_MS))
        g_error("decoded %u of %u frames from %s in %d ms",
                ep->peer ? cg_rtc_peer_video_frames(ep->peer, id) : 0, n, id,
                FLOW_MEDIA_TIMEOUT_MS);
}

guint flow_ep_frames(FlowEp *ep, const char *id)
{
    return ep->peer ? cg_rtc_peer_video_frames(ep->peer, id) : 0;
}

json_t *flow_audit(CgTestDaemon *d, FlowConsult *c)
{
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/audit", c->id);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(d, "GET", path, cg_test_daemon_api_key(d, 0), NULL, &status, &resp,
                          &error);
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    json_t *records = json_incref(json_object_get(resp, "records"));
    json_decref(resp);
    g_assert_true(json_is_array(records));
    return records;
}

guint flow_audit_count(json_t *audit, const char *action, const char *participant)
{
    guint n = 0;
    for (gsize i = 0; i < json_array_size(audit); i++) {
        json_t *r = json_array_get(audit, i);
        n += g_strcmp0(str(r, "action"), action) == 0 &&
             g_strcmp0(str(r, "participant"), participant) == 0;
    }
    return n;
}

/* ---- a daemon on an existing dir ------------------------------------------- */

struct _FlowDaemon {
    GSubprocess *proc;
    GDataInputStream *err;
    GCancellable *cancel;
    guint16 port;
    gboolean eof;
};

char *flow_daemon_dir(CgTestDaemon *running)
{
    g_autofree char *link = g_strdup_printf("/proc/%d/cwd", (int)cg_test_daemon_pid(running));
    g_autoptr(GError) error = NULL;
    char *dir = g_file_read_link(link, &error);
    g_assert_no_error(error);
    return dir;
}

static void on_line(GObject *source, GAsyncResult *res, gpointer user)
{
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    g_autofree char *line =
        g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, &len, &error);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    FlowDaemon *d = user;
    if (!line) {
        d->eof = TRUE;
        return;
    }
    if (!g_getenv("CG_TEST_QUIET"))
        g_printerr("consultd(2)| %s\n", line);
    json_t *j = strstr(line, "\"listening\"") ? json_loads(line, 0, NULL) : NULL;
    if (j && json_is_integer(json_object_get(j, "port")))
        d->port = (guint16)json_integer_value(json_object_get(j, "port"));
    json_decref(j);
    g_data_input_stream_read_line_async(d->err, G_PRIORITY_DEFAULT, d->cancel, on_line, d);
}

static void die_with_parent(gpointer data)
{
    (void)data;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean listening_or_gone(gpointer data)
{
    FlowDaemon *d = data;
    return d->port || d->eof;
}

FlowDaemon *flow_respawn(const char *dir)
{
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_subprocess_launcher_set_cwd(l, dir);
    g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
    g_autofree char *conf = g_strdup_printf("%s/consultd.conf", dir);
    g_autoptr(GError) error = NULL;
    FlowDaemon *d = g_new0(FlowDaemon, 1);
    d->cancel = g_cancellable_new();
    d->proc = g_subprocess_launcher_spawn(l, &error, g_getenv("CG_CONSULTD"), "--config", conf,
                                          NULL);
    g_assert_no_error(error);
    d->err = g_data_input_stream_new(g_subprocess_get_stderr_pipe(d->proc));
    g_data_input_stream_read_line_async(d->err, G_PRIORITY_DEFAULT, d->cancel, on_line, d);
    cg_test_wait_until(listening_or_gone, d, 15000);
    g_assert_cmpuint(d->port, !=, 0);
    return d;
}

guint16 flow_daemon_port(FlowDaemon *d)
{
    return d->port;
}

static gboolean exited(gpointer data)
{
    FlowDaemon *d = data;
    return d->eof;
}

void flow_daemon_stop(FlowDaemon *d)
{
    g_subprocess_send_signal(d->proc, SIGTERM);
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_test_wait_until(exited, d, 10000));
    g_subprocess_wait(d->proc, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(g_subprocess_get_if_exited(d->proc));
    g_assert_cmpint(g_subprocess_get_exit_status(d->proc), ==, 0);
}

void flow_daemon_free(FlowDaemon *d)
{
    if (!d)
        return;
    if (g_subprocess_get_identifier(d->proc))
        g_subprocess_force_exit(d->proc);
    g_cancellable_cancel(d->cancel);
    cg_test_run_for(50);
    g_clear_object(&d->err);
    g_clear_object(&d->proc);
    g_clear_object(&d->cancel);
    g_free(d);
}
