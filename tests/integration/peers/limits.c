/* integration-peers-limits: failed-authentication limits per address
 * (issue 9, findings 8 and 5).
 *
 * join-nat: expired links clicked behind one NAT (127.0.0.1 here) lock that
 * address out for wrong tokens only: a valid token from the same address is
 * still admitted. admin-nat: the same for the admin API's keys.
 * audit-flood: 2,000 requests with a wrong key leave a bounded number of
 * audit records (the refusals past the limit are counted into one
 * "auth_refused" record per address and window, and none is lost). */
#include <string.h>

#include "peers_common.h"

#define MAX_FAILURES 3
#define FLOOD_REQUESTS 2000
#define FLOOD_CONNECTIONS 4

static CgTestDaemon *start(guint window_s)
{
    g_autofree char *auth = g_strdup_printf("max_auth_failures = %u; auth_failure_window_s = %u;",
                                            MAX_FAILURES, window_s);
    CgTestDaemonOptions o = {.auth_extra = auth};
    g_autoptr(GError) error = NULL;
    CgTestDaemon *daemon = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    return daemon;
}

static CgTestConsult *make_consult(CgTestDaemon *daemon)
{
    static const char *const roles[] = {"specialist", "patient", NULL};
    static const char *const names[] = {"Dr. Limit", "Pat Limit", NULL};
    g_autoptr(GError) error = NULL;
    CgTestConsult *c = cg_test_create_consult(daemon, 0, "virtual_consult", roles, names, &error);
    g_assert_no_error(error);
    return c;
}

/* (transfer full) @token re-signed with its claims expired an hour ago. */
static char *expired_copy(CgTestDaemon *daemon, const char *token)
{
    g_auto(GStrv) parts = g_strsplit(token, ".", 3);
    GString *b64 = g_string_new(parts[1]);
    g_strdelimit(b64->str, "-", '+');
    g_strdelimit(b64->str, "_", '/');
    while (b64->len % 4)
        g_string_append_c(b64, '=');
    gsize len = 0;
    g_autofree guchar *payload = g_base64_decode(b64->str, &len);
    g_string_free(b64, TRUE);
    json_t *claims = json_loadb((const char *)payload, len, 0, NULL);
    g_assert_nonnull(claims);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    json_object_set_new(claims, "nbf", json_integer(now - 7200));
    json_object_set_new(claims, "exp", json_integer(now - 3600));
    char *text = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    char *expired = cg_test_mint_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", text,
                                       cg_test_daemon_secret(daemon, 0));
    free(text);
    return expired;
}

/* Joins with @token on a new socket; returns the first answer's type or
 * error code (transfer full). */
static char *try_join(CgTestDaemon *daemon, const char *token)
{
    g_autoptr(CgWssClient) wss =
        cg_wss_client_new(cg_test_daemon_port(daemon), "/ws", cg_test_daemon_certificate(daemon));
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_wss_client_wait_open(wss, 5000, &error));
    g_autofree char *text = pt_join_text(token);
    cg_wss_client_send_text(wss, text, -1);
    json_t *m = cg_wss_client_wait_message(wss, 5000);
    g_assert_nonnull(m);
    const char *type = json_string_value(json_object_get(m, "type"));
    char *what = g_strdup(
        g_strcmp0(type, "error") == 0 ? json_string_value(json_object_get(m, "code")) : type);
    json_decref(m);
    return what;
}

static void test_join_nat(void)
{
    g_autoptr(CgTestDaemon) daemon = start(60);
    g_autoptr(CgTestConsult) consult = make_consult(daemon);
    g_autofree char *expired = expired_copy(daemon, consult->tokens[1]);
    for (guint i = 0; i < MAX_FAILURES; i++) {
        g_autofree char *what = try_join(daemon, expired);
        g_assert_cmpstr(what, ==, "token_expired");
    }
    g_autofree char *locked = try_join(daemon, expired);
    g_assert_cmpstr(locked, ==, "too_many_failures");
    g_autofree char *garbage = try_join(daemon, "garbage");
    g_assert_cmpstr(garbage, ==, "too_many_failures");
    /* A valid link clicked behind the same NAT is admitted. */
    g_autofree char *valid = try_join(daemon, consult->tokens[1]);
    g_assert_true(g_str_equal(valid, "joined") || g_str_equal(valid, "waiting"));
}

static guint admin_status(CgTestDaemon *daemon, const char *key)
{
    guint status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(
        cg_test_admin_request(daemon, "GET", "/api/v1/consults", key, NULL, &status, NULL, &error));
    g_assert_no_error(error);
    return status;
}

static void test_admin_nat(void)
{
    g_autoptr(CgTestDaemon) daemon = start(60);
    for (guint i = 0; i < MAX_FAILURES; i++)
        g_assert_cmpuint(admin_status(daemon, "wrong-key"), ==, 401);
    g_assert_cmpuint(admin_status(daemon, "wrong-key"), ==, 429);
    g_assert_cmpuint(admin_status(daemon, cg_test_daemon_api_key(daemon, 0)), ==, 200);
    g_assert_cmpuint(admin_status(daemon, "wrong-key"), ==, 429);
}

typedef struct {
    CgTestDaemon *daemon;
    guint refused; /* 401 + 429 answers */
} Flood;

static gpointer flood_thread(gpointer data)
{
    Flood *f = data;
    g_autoptr(PtRaw) raw = pt_raw_connect(f->daemon);
    for (guint i = 0; i < FLOOD_REQUESTS / FLOOD_CONNECTIONS; i++) {
        guint status = pt_http(raw, "GET", "/api/v1/consults", "wrong-key");
        if (status == 401 || status == 429)
            f->refused++;
        else
            g_error("request %u: status %u", i, status);
    }
    return NULL;
}

typedef struct {
    CgTestDaemon *daemon;
    guint want;
} AuditWait;

static gboolean all_accounted(gpointer data)
{
    AuditWait *w = data;
    return pt_audit_rows(w->daemon, "auth") + pt_audit_suppressed(w->daemon) >= w->want;
}

static void test_audit_flood(void)
{
    const guint window_s = 2;
    g_autoptr(CgTestDaemon) daemon = start(window_s);
    guint before = pt_audit_rows(daemon, NULL);
    Flood floods[FLOOD_CONNECTIONS];
    GThread *threads[FLOOD_CONNECTIONS];
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < FLOOD_CONNECTIONS; i++) {
        floods[i] = (Flood){daemon, 0};
        threads[i] = g_thread_new("flood", flood_thread, &floods[i]);
    }
    guint refused = 0;
    for (guint i = 0; i < FLOOD_CONNECTIONS; i++) {
        g_thread_join(threads[i]);
        refused += floods[i].refused;
    }
    gint64 elapsed_s = (g_get_monotonic_time() - t0 + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
    g_assert_cmpuint(refused, ==, FLOOD_REQUESTS);

    /* Per address and window: MAX_FAILURES 401s, the first 429, and one
     * aggregate record. */
    guint windows = (guint)(elapsed_s / window_s) + 2;
    guint rows = pt_audit_rows(daemon, NULL) - before;
    g_test_message("%u refusals in %" G_GINT64_FORMAT " s: %u audit records", refused, elapsed_s,
                   rows);
    g_assert_cmpuint(rows, <=, windows * (MAX_FAILURES + 2));

    /* None is lost: once the windows end, the records account for all. */
    AuditWait w = {daemon, FLOOD_REQUESTS};
    g_assert_true(cg_test_wait_until(all_accounted, &w, 4 * window_s * 1000 + 2000));
    g_assert_cmpuint(pt_audit_rows(daemon, "auth") + pt_audit_suppressed(daemon), ==,
                     FLOOD_REQUESTS);
    g_assert_cmpuint(pt_audit_rows(daemon, NULL) - before, <=, windows * (MAX_FAILURES + 2));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/peers/limits/join-nat", test_join_nat);
    g_test_add_func("/peers/limits/admin-nat", test_admin_nat);
    g_test_add_func("/peers/limits/audit-flood", test_audit_flood);
    return g_test_run();
}
