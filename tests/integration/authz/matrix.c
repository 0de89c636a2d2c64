/* integration-authz-matrix: who may do what, as docs/protocol.md and
 * docs/api.md say, over the real protocol and admin API of one consultd.
 *
 * Three tables drive it:
 * - joins: every role x consult kind x phase (scheduled, open, ended by
 *   time, ended by a specialist, cancelled) -> joined, waiting or the refusal;
 * - controls: every role x every specialist control (admit, decline, remove,
 *   mute, unmute, end) -> done, or not_allowed / not_admitted with nothing
 *   changed;
 * - admin API: every consult route x credential (none, wrong key, the other
 *   tenant's key, the owner's key) -> 401, 401, 404, or the documented success.
 * Endpoints here never publish media (CgTestEndpoint with no tone): roles are a
 * signaling matter; the media side of role rules (screen share) has its own
 * tests. */
#include <gst/gst.h>
#include <string.h>

#include "consult_fixture.h"

/* No lockout: this test makes many refused calls on purpose. */
#define NO_LOCKOUT "max_auth_failures = 100000;"

static const char *const VC_ROLES[] = {"specialist",  "provider", "patient",
                                       "interpreter", "observer", NULL};
static const char *const CC_ROLES[] = {"specialist", "provider", "interpreter", "observer", NULL};

typedef enum { PHASE_SCHEDULED, PHASE_OPEN, PHASE_TIME_UP, PHASE_ENDED, PHASE_CANCELLED } Phase;

static const char *const PHASE_NAMES[] = {"scheduled", "open", "time_up", "ended", "cancelled"};

/* The documented answer to a join, or the refusal code. */
static const char *expected_join(const char *kind, const char *role, Phase phase)
{
    switch (phase) {
    case PHASE_SCHEDULED:
        return "consult_not_open_yet";
    case PHASE_TIME_UP:
    case PHASE_ENDED:
        return "consult_ended";
    case PHASE_CANCELLED:
        return "consult_cancelled";
    case PHASE_OPEN:
        break;
    }
    if (g_str_equal(role, "patient"))
        return g_str_equal(kind, "case_conference") ? "role_not_allowed" : "waiting";
    return "joined";
}

/* What @ep got first: "joined", "waiting" or the error code. */
static char *join_outcome(CgTestEndpoint *ep)
{
    for (guint waited = 0; waited < CG_FX_REPLY_TIMEOUT_MS; waited += 50) {
        if (cg_fx_last(ep, "joined"))
            return g_strdup("joined");
        if (cg_fx_last(ep, "waiting"))
            return g_strdup("waiting");
        json_t *err = cg_fx_last(ep, "error");
        if (err)
            return g_strdup(json_string_value(json_object_get(err, "code")));
        cg_test_run_for(50);
    }
    return g_strdup("(nothing)");
}

static void admin_ok(CgTestDaemon *d, const char *method, const char *path, guint want)
{
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(cg_test_admin_request(d, method, path, cg_test_daemon_api_key(d, 0), NULL,
                                        &status, &resp, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, want);
    json_decref(resp);
}

/* Puts @c in @phase; @host is a joined specialist (needed for PHASE_ENDED). */
static CgTestConsult *consult_in_phase(CgTestDaemon *d, const char *kind, const char *const *roles,
                                       Phase phase)
{
    /* Time up: ended 5 min ago (30 min + grace 15), the tokens still valid. */
    gint64 starts_in = phase == PHASE_SCHEDULED ? 3 * 3600 : phase == PHASE_TIME_UP ? -50 * 60 : 0;
    CgTestConsult *c = cg_fx_consult_at(d, kind, starts_in, 30, roles);
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/cancel", c->id);
    if (phase == PHASE_CANCELLED)
        admin_ok(d, "POST", path, 200);
    if (phase == PHASE_ENDED) {
        g_autoptr(CgTestEndpoint) host = cg_fx_endpoint(
            cg_test_daemon_port(d), cg_test_daemon_certificate(d), c->tokens[0], 0, 0);
        g_assert_nonnull(cg_fx_wait(host, "joined", CG_FX_REPLY_TIMEOUT_MS));
        cg_fx_send(host, "end", NULL);
        g_assert_nonnull(cg_fx_wait(host, "consult_ended", CG_FX_REPLY_TIMEOUT_MS));
    }
    return c;
}

static void check_joins(CgTestDaemon *d, const char *kind, const char *const *roles)
{
    for (Phase phase = PHASE_SCHEDULED; phase <= PHASE_CANCELLED; phase++) {
        g_autoptr(CgTestConsult) c = consult_in_phase(d, kind, roles, phase);
        for (guint i = 0; i < c->n; i++) {
            g_autoptr(CgTestEndpoint) ep = cg_fx_endpoint(
                cg_test_daemon_port(d), cg_test_daemon_certificate(d), c->tokens[i], 0, 0);
            g_autofree char *got = join_outcome(ep);
            const char *want = expected_join(kind, c->roles[i], phase);
            if (!g_str_equal(got, want))
                g_error("%s, %s, %s joins: want %s, got %s", kind, PHASE_NAMES[phase], c->roles[i],
                        want, got);
        }
    }
}

static void test_join_matrix(void)
{
    g_autoptr(CgTestDaemon) d =
        cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1, .auth_extra = NO_LOCKOUT});
    check_joins(d, "virtual_consult", VC_ROLES);
    check_joins(d, "case_conference", CC_ROLES);
}

/* A correctly signed patient token for a case conference (its participant is
 * a provider, so the claim is not theirs either): refused, never admitted. */
static void test_case_conference_patient_token(void)
{
    g_autoptr(CgTestDaemon) d =
        cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1, .auth_extra = NO_LOCKOUT});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(d, "case_conference", 0, 30, CC_ROLES);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *token =
        cg_fx_mint_token(cg_test_daemon_secret(d, 0), "HS256", cg_test_daemon_tenant_id(d, 0),
                         c->ids[1], c->id, "patient", now - 60, now + 3600);
    g_autoptr(CgTestEndpoint) ep =
        cg_fx_endpoint(cg_test_daemon_port(d), cg_test_daemon_certificate(d), token, 0, 0);
    g_autofree char *got = join_outcome(ep);
    g_assert_cmpstr(got, ==, "role_not_allowed");
}

typedef struct {
    CgTestEndpoint *ep;
    guint before;
} ErrorWait;

static gboolean more_errors(gpointer data)
{
    ErrorWait *w = data;
    return cg_fx_count_about(w->ep, "error", NULL) > w->before;
}

/* The next error after the @before-th one has @code. */
static void expect_new_error(CgTestEndpoint *ep, guint before, const char *code, const char *role,
                             const char *action)
{
    ErrorWait w = {ep, before};
    if (!cg_test_wait_until(more_errors, &w, CG_FX_REPLY_TIMEOUT_MS))
        g_error("%s sent %s: no answer", role, action);
    const char *got = json_string_value(json_object_get(cg_fx_last(ep, "error"), "code"));
    if (g_strcmp0(got, code) != 0)
        g_error("%s sent %s: want %s, got %s", role, action, code, got);
}

static const char *const CONTROLS[] = {"admit", "decline", "remove", "mute", "unmute", "end"};

/* Everyone of a virtual consult in the room (the patient waiting); each
 * non-specialist tries every control on the others and is refused with
 * nothing changed; then the specialist does each one. */
static void test_control_matrix(void)
{
    g_autoptr(CgTestDaemon) d =
        cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1, .auth_extra = NO_LOCKOUT});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(d, "virtual_consult", 0, 30, VC_ROLES);
    guint16 port = cg_test_daemon_port(d);
    GTlsCertificate *cert = cg_test_daemon_certificate(d);
    CgTestEndpoint *ep[5] = {NULL};
    for (guint i = 0; i < c->n; i++) {
        ep[i] = cg_fx_endpoint(port, cert, c->tokens[i], 0, 0);
        g_autofree char *got = join_outcome(ep[i]);
        g_assert_cmpstr(got, ==, expected_join("virtual_consult", c->roles[i], PHASE_OPEN));
    }
    const char *patient = c->ids[2], *observer = c->ids[4], *provider = c->ids[1];
    for (guint i = 1; i < c->n; i++) {
        const char *want = g_str_equal(c->roles[i], "patient") ? "not_admitted" : "not_allowed";
        for (guint k = 0; k < G_N_ELEMENTS(CONTROLS); k++) {
            const char *target =
                g_str_equal(CONTROLS[k], "admit") || g_str_equal(CONTROLS[k], "decline") ? patient
                                                                                         : observer;
            guint before = cg_fx_count_about(ep[i], "error", NULL);
            cg_fx_send(ep[i], CONTROLS[k], g_str_equal(CONTROLS[k], "end") ? NULL : target);
            expect_new_error(ep[i], before, want, c->roles[i], CONTROLS[k]);
        }
        g_assert_true(cg_wss_client_is_open(cg_test_endpoint_wss(ep[i])));
    }
    /* Nothing changed: the patient still waits, the observer is still in,
     * nobody was muted, the consult goes on. */
    g_assert_null(cg_fx_last(ep[2], "joined"));
    g_assert_null(cg_fx_last(ep[4], "muted"));
    g_assert_cmpstr(json_string_value(json_object_get(cg_fx_last(ep[4], "error"), "code")), ==,
                    "not_allowed");
    g_assert_true(cg_wss_client_is_open(cg_test_endpoint_wss(ep[4])));
    g_assert_null(cg_fx_last(ep[0], "consult_ended"));
    g_assert_cmpuint(cg_fx_count_about(ep[0], "participant_left", observer), ==, 0);

    /* The specialist may do each. */
    cg_fx_send(ep[0], "mute", provider);
    g_assert_nonnull(cg_fx_wait(ep[1], "muted", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_send(ep[0], "unmute", provider);
    g_assert_nonnull(cg_fx_wait(ep[1], "unmuted", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_send(ep[0], "admit", patient);
    g_assert_nonnull(cg_fx_wait(ep[2], "joined", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_send(ep[0], "remove", observer);
    cg_fx_expect_error(ep[4], "participant_removed");
    cg_fx_send(ep[0], "end", NULL);
    for (guint i = 1; i < 4; i++)
        g_assert_nonnull(cg_fx_wait(ep[i], "consult_ended", CG_FX_REPLY_TIMEOUT_MS));
    for (guint i = 0; i < c->n; i++)
        cg_test_endpoint_free(ep[i]);
}

/* One decline needs its own waiting patient. */
static void test_specialist_declines(void)
{
    g_autoptr(CgTestDaemon) d =
        cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1, .auth_extra = NO_LOCKOUT});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(d, "virtual_consult", 0, 30, VC_ROLES);
    guint16 port = cg_test_daemon_port(d);
    GTlsCertificate *cert = cg_test_daemon_certificate(d);
    g_autoptr(CgTestEndpoint) host = cg_fx_endpoint(port, cert, c->tokens[0], 0, 0);
    g_assert_nonnull(cg_fx_wait(host, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(port, cert, c->tokens[2], 0, 0);
    g_assert_nonnull(cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_send(host, "decline", c->ids[2]);
    cg_fx_expect_error(patient, "declined");
}

/* ---- the admin API -------------------------------------------------------- */

typedef enum { KEY_NONE, KEY_WRONG, KEY_OTHER_TENANT, KEY_OWNER } Key;
static const char *const KEY_NAMES[] = {"no key", "a wrong key", "the other tenant's key",
                                        "the owner's key"};

/* The path is /api/v1/consults/ID + @tail [+ a participant id + @tail2]. */
typedef struct {
    const char *method;
    const char *tail;
    gboolean participant;
    const char *tail2;
    const char *body; /* nullable */
    guint owner_status;
} Route;

static const Route ROUTES[] = {
    {"GET", "", FALSE, "", NULL, 200},
    {"PATCH", "", FALSE, "", "{\"title\":\"Renamed\"}", 200},
    {"POST", "/participants", FALSE, "", "{\"name\":\"Dr. Kim\",\"role\":\"observer\"}", 201},
    {"POST", "/participants/", TRUE, "/token", NULL, 200},
    {"GET", "/audit", FALSE, "", NULL, 200},
    {"DELETE", "/participants/", TRUE, "", NULL, 200},
    {"POST", "/cancel", FALSE, "", NULL, 200},
};

static guint admin_status(CgTestDaemon *d, const Route *r, const char *path, Key key)
{
    const char *api_key = key == KEY_NONE           ? NULL
                          : key == KEY_WRONG        ? "not-a-key-of-anybody-0123456789"
                          : key == KEY_OTHER_TENANT ? cg_test_daemon_api_key(d, 1)
                                                    : cg_test_daemon_api_key(d, 0);
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *resp = NULL;
    g_assert_true(
        cg_test_admin_request(d, r->method, path, api_key, r->body, &status, &resp, &error));
    g_assert_no_error(error);
    json_decref(resp);
    return status;
}

static void test_admin_matrix(void)
{
    g_autoptr(CgTestDaemon) d =
        cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 2, .auth_extra = NO_LOCKOUT});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(d, "virtual_consult", 0, 30, VC_ROLES);
    for (gsize r = 0; r < G_N_ELEMENTS(ROUTES); r++) {
        const Route *route = &ROUTES[r];
        g_autofree char *path =
            g_strconcat("/api/v1/consults/", c->id, route->tail,
                        route->participant ? c->ids[4] : "", route->tail2, NULL);
        for (Key key = KEY_NONE; key <= KEY_OWNER; key++) {
            guint want = key == KEY_OWNER          ? route->owner_status
                         : key == KEY_OTHER_TENANT ? 404
                                                   : 401;
            guint got = admin_status(d, route, path, key);
            if (got != want)
                g_error("%s %s with %s: want %u, got %u", route->method, path, KEY_NAMES[key], want,
                        got);
        }
    }
    /* The other tenant's list never shows the consult. */
    g_autoptr(GError) error = NULL;
    guint status = 0;
    json_t *list = NULL;
    g_assert_true(cg_test_admin_request(d, "GET", "/api/v1/consults", cg_test_daemon_api_key(d, 1),
                                        NULL, &status, &list, &error));
    g_assert_cmpuint(status, ==, 200);
    g_autofree char *text = json_dumps(list, JSON_COMPACT);
    g_assert_null(strstr(text, c->id));
    json_decref(list);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    gst_init(&argc, &argv);
    g_test_add_func("/authz/joins", test_join_matrix);
    g_test_add_func("/authz/case-conference-patient-token", test_case_conference_patient_token);
    g_test_add_func("/authz/controls", test_control_matrix);
    g_test_add_func("/authz/decline", test_specialist_declines);
    g_test_add_func("/authz/admin", test_admin_matrix);
    return g_test_run();
}
