/* consult_fixture.c — see consult_fixture.h. */
#include "consult_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

gboolean cg_fx_sanitized(void)
{
    return g_strcmp0(g_getenv("CG_TEST_SANITIZED"), "1") == 0;
}

/* ---- the daemon and its consults ------------------------------------------- */

CgTestDaemon *cg_fx_daemon_start(const CgTestDaemonOptions *options)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemon *d = cg_test_daemon_start(options, &error);
    g_assert_no_error(error);
    g_assert_nonnull(d);
    return d;
}

void cg_fx_daemon_stop_clean(CgTestDaemon *daemon, guint timeout_ms)
{
    int status = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_test_daemon_stop(daemon, timeout_ms, &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
}

void cg_fx_daemon_restart(CgTestDaemon *daemon)
{
    g_autoptr(GError) error = NULL;
    cg_test_daemon_restart(daemon, &error);
    g_assert_no_error(error);
}

CgTestConsult *cg_fx_consult_new(CgTestDaemon *daemon, const char *kind, const char *const *roles)
{
    return cg_fx_consult_at(daemon, kind, 0, 30, roles);
}

CgTestConsult *cg_fx_consult_at(CgTestDaemon *daemon, const char *kind, gint64 starts_in_s,
                                guint duration_min, const char *const *roles)
{
    static const char *const names[CG_FX_MAX_PARTIES + 1] = {"Dr. Lee",  "Dr. Osei", "Sam Doe",
                                                             "Ana Ruiz", "Dr. Kim",  "Dr. Park",
                                                             "Dr. Diaz", "Dr. Ito",  NULL};
    g_assert_cmpuint(g_strv_length((char **)roles), <=, CG_FX_MAX_PARTIES);
    const char *used[CG_FX_MAX_PARTIES + 1] = {0}; /* as many names as roles */
    for (guint i = 0; roles[i]; i++)
        used[i] = names[i];
    g_autoptr(GError) error = NULL;
    CgTestConsult *c =
        cg_test_create_consult_at(daemon, 0, kind, starts_in_s, duration_min, roles, used, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    return c;
}

json_t *cg_fx_audit(CgTestDaemon *daemon, CgTestConsult *c)
{
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/audit", c->id);
    guint status = 0;
    json_t *resp = NULL;
    g_autoptr(GError) error = NULL;
    cg_test_admin_request(daemon, "GET", path, cg_test_daemon_api_key(daemon, 0), NULL, &status,
                          &resp, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    json_t *records = json_incref(json_object_get(resp, "records"));
    json_decref(resp);
    g_assert_true(json_is_array(records));
    return records;
}

guint cg_fx_audit_count(json_t *audit, const char *action, const char *participant)
{
    guint n = 0;
    for (gsize i = 0; i < json_array_size(audit); i++) {
        json_t *r = json_array_get(audit, i);
        n += g_strcmp0(json_string_value(json_object_get(r, "action")), action) == 0 &&
             g_strcmp0(json_string_value(json_object_get(r, "participant")), participant) == 0;
    }
    return n;
}

char *cg_fx_mint_token(const char *secret, const char *alg, const char *iss, const char *sub,
                       const char *consult, const char *role, gint64 nbf, gint64 exp)
{
    g_autofree char *header = g_strdup_printf("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", iss, "sub", sub, "consult", consult,
                  "role", role, "name", "Someone", "nbf", (json_int_t)nbf, "exp", (json_int_t)exp);
    g_autofree char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    return cg_test_mint_token(header, payload, secret);
}

/* ---- participants ---------------------------------------------------------- */

CgTestEndpoint *cg_fx_join(CgTestDaemon *daemon, const char *token,
                           const CgTestEndpointOptions *options, guint timeout_ms)
{
    CgTestEndpointOptions none = {0};
    CgTestEndpoint *ep =
        cg_test_endpoint_new(cg_test_daemon_port(daemon), cg_test_daemon_certificate(daemon), token,
                             options ? options : &none);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(ep, timeout_ms, &error);
    g_assert_no_error(error);
    return ep;
}

CgTestEndpoint *cg_fx_join_publishing(CgTestDaemon *daemon, const char *token, guint32 rgb,
                                      guint tone_hz)
{
    CgTestEndpointOptions o = {.media = {.tone_hz = tone_hz, .color_rgb = rgb},
                               .admit_waiting = TRUE};
    return cg_fx_join(daemon, token, &o, CG_FX_JOIN_TIMEOUT_MS);
}

CgWssClient *cg_fx_join_raw(CgTestDaemon *daemon, const char *token, guint timeout_ms)
{
    CgWssClient *wss =
        cg_wss_client_new(cg_test_daemon_port(daemon), "/ws", cg_test_daemon_certificate(daemon));
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", token);
    cg_wss_client_send_json(wss, join);
    json_decref(join);
    json_t *joined = cg_wss_client_wait_type(wss, "joined", timeout_ms);
    g_assert_nonnull(joined);
    json_decref(joined);
    return wss;
}

void cg_fx_wait_frames(CgTestEndpoint *ep, const char *id, guint n)
{
    if (cg_test_endpoint_wait_frames(ep, id, n, CG_FX_MEDIA_TIMEOUT_MS))
        return;
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    g_error("%s decoded %u of %u frames from %s in %d ms (%" G_GUINT64_FORMAT
            " packets on sub connections)",
            cg_test_endpoint_id(ep), cg_test_endpoint_frames_from(ep, id), n, id,
            CG_FX_MEDIA_TIMEOUT_MS, peer ? cg_rtc_peer_packets_received(peer) : 0);
}

static gboolean colour_close(guint32 a, guint32 b)
{
    for (int shift = 0; shift <= 16; shift += 8) {
        int ca = (int)((a >> shift) & 0xff), cb = (int)((b >> shift) & 0xff);
        if (abs(ca - cb) > CG_FX_COLOUR_TOLERANCE)
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    CgTestEndpoint *ep;
    const char *from;
    guint32 rgb;
    guint tone;
    double tolerance;
} MediaCheck;

static gboolean media_right(gpointer data)
{
    MediaCheck *m = data;
    CgRtcPeer *peer = cg_test_endpoint_peer(m->ep);
    guint32 got = 0;
    return peer && cg_rtc_peer_video_color(peer, m->from, &got) && colour_close(got, m->rgb) &&
           fabs(cg_rtc_peer_tone_hz(peer, m->from) - m->tone) <= m->tolerance;
}

gboolean cg_fx_wait_media(CgTestEndpoint *ep, const char *from, guint32 rgb, guint tone_hz,
                          double tone_tolerance_hz, guint timeout_ms)
{
    MediaCheck m = {ep, from, rgb, tone_hz, tone_tolerance_hz};
    return cg_test_wait_until(media_right, &m, timeout_ms);
}

/* ---- participants driven step by step ---------------------------------------- */

CgTestEndpoint *cg_fx_endpoint(guint16 port, GTlsCertificate *cert, const char *token, guint32 rgb,
                               guint tone_hz)
{
    CgTestEndpointOptions o = {.media = {.tone_hz = tone_hz, .color_rgb = rgb},
                               .no_publish = tone_hz == 0};
    return cg_test_endpoint_new(port, cert, token, &o);
}

CgTestEndpoint *cg_fx_endpoint_resuming(guint16 port, GTlsCertificate *cert, const char *token,
                                        const char *resume)
{
    CgTestEndpointOptions o = {.no_publish = TRUE, .resume = resume};
    return cg_test_endpoint_new(port, cert, token, &o);
}

static const char *str(json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

json_t *cg_fx_last(CgTestEndpoint *ep, const char *type)
{
    for (guint i = cg_test_endpoint_n_messages(ep); i > 0; i--) {
        json_t *m = cg_test_endpoint_message(ep, i - 1);
        if (g_strcmp0(str(m, "type"), type) == 0)
            return m;
    }
    return NULL;
}

guint cg_fx_count_about(CgTestEndpoint *ep, const char *type, const char *participant)
{
    guint n = 0;
    for (guint i = 0; i < cg_test_endpoint_n_messages(ep); i++) {
        json_t *m = cg_test_endpoint_message(ep, i);
        json_t *p = json_object_get(m, "participant");
        const char *id = json_is_object(p) ? str(p, "id") : json_string_value(p);
        n += g_strcmp0(str(m, "type"), type) == 0 && g_strcmp0(id, participant) == 0;
    }
    return n;
}

typedef struct {
    CgTestEndpoint *ep;
    const char *type;
    const char *code;
    const char *const *ids;
} MessageWait;

static gboolean has_type(gpointer data)
{
    MessageWait *w = data;
    return cg_fx_last(w->ep, w->type) != NULL;
}

json_t *cg_fx_wait(CgTestEndpoint *ep, const char *type, guint timeout_ms)
{
    MessageWait w = {ep, type, NULL, NULL};
    cg_test_wait_until(has_type, &w, timeout_ms);
    return cg_fx_last(ep, type);
}

static gboolean has_error(gpointer data)
{
    MessageWait *w = data;
    for (guint i = 0; i < cg_test_endpoint_n_messages(w->ep); i++) {
        json_t *m = cg_test_endpoint_message(w->ep, i);
        if (g_strcmp0(str(m, "type"), "error") == 0 && g_strcmp0(str(m, "code"), w->code) == 0)
            return TRUE;
    }
    return FALSE;
}

static char *all_messages(CgTestEndpoint *ep)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < cg_test_endpoint_n_messages(ep); i++) {
        char *t = json_dumps(cg_test_endpoint_message(ep, i), JSON_COMPACT);
        g_string_append_printf(s, "\n  %.200s", t);
        free(t);
    }
    return g_string_free(s, FALSE);
}

void cg_fx_expect_error(CgTestEndpoint *ep, const char *code)
{
    MessageWait w = {ep, NULL, code, NULL};
    if (!cg_test_wait_until(has_error, &w, CG_FX_REPLY_TIMEOUT_MS)) {
        g_autofree char *got = all_messages(ep);
        g_error("no error %s within %d ms; got:%s", code, CG_FX_REPLY_TIMEOUT_MS, got);
    }
}

static gboolean list_is(gpointer data)
{
    MessageWait *w = data;
    json_t *list = json_object_get(cg_fx_last(w->ep, "waiting_list"), "waiting");
    if (!json_is_array(list) || json_array_size(list) != g_strv_length((char **)w->ids))
        return FALSE;
    for (gsize i = 0; i < json_array_size(list); i++)
        if (!g_strv_contains(w->ids, str(json_array_get(list, i), "id") ?: ""))
            return FALSE;
    return TRUE;
}

void cg_fx_expect_waiting_list(CgTestEndpoint *ep, const char *const *ids)
{
    MessageWait w = {ep, NULL, NULL, ids};
    if (!cg_test_wait_until(list_is, &w, CG_FX_REPLY_TIMEOUT_MS)) {
        g_autofree char *got = all_messages(ep);
        g_error("waiting_list never had the %u expected ids; got:%s", g_strv_length((char **)ids),
                got);
    }
}

void cg_fx_send(CgTestEndpoint *ep, const char *type, const char *participant)
{
    json_t *m = json_pack("{s:s}", "type", type);
    if (participant)
        json_object_set_new(m, "participant", json_string(participant));
    cg_wss_client_send_json(cg_test_endpoint_wss(ep), m);
    json_decref(m);
}

const char *cg_fx_resume_id(CgTestEndpoint *ep)
{
    json_t *joined = cg_fx_last(ep, "joined");
    return json_string_value(json_object_get(json_object_get(joined, "resume"), "id"));
}

void cg_fx_assert_closed(CgWssClient *wss, guint status, const char *reason, guint timeout_ms)
{
    if (!cg_wss_client_wait_closed(wss, timeout_ms))
        g_error("socket still open %u ms after the expected close %u %s", timeout_ms, status,
                reason ? reason : "");
    g_assert_cmpuint(cg_wss_client_close_status(wss), ==, status);
    if (reason)
        g_assert_cmpstr(cg_wss_client_close_reason(wss), ==, reason);
}

/* (transfer full) part @i (0: header, 1: claims) of @token, decoded. */
static json_t *token_part(const char *token, guint i)
{
    g_auto(GStrv) parts = g_strsplit(token, ".", -1);
    g_assert_cmpuint(g_strv_length(parts), ==, 3);
    g_autoptr(GString) s = g_string_new(parts[i]);
    g_string_replace(s, "-", "+", 0);
    g_string_replace(s, "_", "/", 0);
    while (s->len % 4)
        g_string_append_c(s, '=');
    gsize len = 0;
    g_autofree guchar *raw = g_base64_decode(s->str, &len);
    json_t *json = json_loadb((const char *)raw, len, 0, NULL);
    g_assert_nonnull(json);
    return json;
}

json_t *cg_fx_token_header(const char *token)
{
    return token_part(token, 0);
}

json_t *cg_fx_token_claims(const char *token)
{
    return token_part(token, 1);
}

/* ---- /proc ----------------------------------------------------------------- */

static char *proc_read(GPid pid, const char *what)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/%s", (int)pid, what);
    char *text = NULL;
    return g_file_get_contents(path, &text, NULL, NULL) ? text : NULL;
}

/* The number after @key in /proc/PID/status, or 0. */
static guint64 status_field(GPid pid, const char *key)
{
    g_autofree char *status = proc_read(pid, "status");
    const char *at = status ? strstr(status, key) : NULL;
    return at ? g_ascii_strtoull(at + strlen(key), NULL, 10) : 0;
}

gboolean cg_fx_proc_usage(GPid pid, double *cpu_s, guint64 *rss_kib)
{
    g_autofree char *stat = proc_read(pid, "stat");
    g_autofree char *status = proc_read(pid, "status");
    if (!stat || !status)
        return FALSE;
    /* after "pid (comm) ": utime (field 14) is index 11, stime index 12 */
    const char *after_comm = strrchr(stat, ')');
    g_auto(GStrv) fields = after_comm ? g_strsplit(after_comm + 2, " ", 0) : NULL;
    if (!fields || g_strv_length(fields) < 13)
        return FALSE;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    *cpu_s = (g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) / ticks;
    const char *rss = strstr(status, "VmRSS:");
    *rss_kib = rss ? g_ascii_strtoull(rss + 6, NULL, 10) : 0;
    return TRUE;
}

double cg_fx_proc_cpu_s(GPid pid)
{
    double cpu = 0;
    guint64 rss = 0;
    return cg_fx_proc_usage(pid, &cpu, &rss) ? cpu : 0;
}

guint64 cg_fx_proc_rss_kib(GPid pid)
{
    return status_field(pid, "VmRSS:");
}

guint cg_fx_proc_threads(GPid pid)
{
    return (guint)status_field(pid, "Threads:");
}

guint cg_fx_proc_fds(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    guint n = 0;
    while (dir && g_dir_read_name(dir))
        n++;
    return n;
}

static void count_into(GHashTable *counts, const char *what)
{
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, what));
    g_hash_table_replace(counts, g_strdup(what), GUINT_TO_POINTER(n + 1));
}

static void describe_counts(GString *out, GHashTable *counts)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, counts);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_string_append_printf(out, "%s x%u, ", (const char *)k, GPOINTER_TO_UINT(v));
}

char *cg_fx_proc_describe(GPid pid)
{
    GString *out = g_string_new("threads: ");
    g_autoptr(GHashTable) threads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *task = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GDir) tdir = g_dir_open(task, 0, NULL);
    for (const char *t; tdir && (t = g_dir_read_name(tdir));) {
        g_autofree char *path = g_strdup_printf("%s/%s/comm", task, t);
        g_autofree char *comm = NULL;
        if (g_file_get_contents(path, &comm, NULL, NULL))
            count_into(threads, g_strstrip(comm));
    }
    describe_counts(out, threads);
    g_string_append(out, "fds: ");
    g_autofree char *fd = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) fdir = g_dir_open(fd, 0, NULL);
    for (const char *f; fdir && (f = g_dir_read_name(fdir));) {
        g_autofree char *path = g_strdup_printf("%s/%s", fd, f);
        g_autofree char *target = g_file_read_link(path, NULL);
        if (target) {
            char *colon = strchr(target, ':');
            if (colon && g_str_has_prefix(target, "socket"))
                *colon = 0;
            count_into(fds, target);
        }
    }
    describe_counts(out, fds);
    return g_string_free(out, FALSE);
}
