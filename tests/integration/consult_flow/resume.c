/* integration-consult-flow-resume: a signaling socket that drops without
 * "leave" does not cost the seat (docs/protocol.md "Reconnecting").
 *
 * Three endpoints with media; the specialist's TCP connection is cut. The
 * others hear nothing, media to and from it goes on, and a new socket that
 * joins with the token and the resume id gets "joined" (resumed) with the
 * same participant id and role: no second audit join, still the host (it
 * mutes someone). A stale or made-up resume id is refused (resume_refused).
 * Dropped again and not resumed, it is gone after the grace period
 * (participant_left connection_lost). Also: a resume while the old socket
 * still looks open replaces it, and the seat is not held past the token. */
#include "consult_fixture.h"

#define PORT(d) cg_test_daemon_port(d), cg_test_daemon_certificate(d)
#define GRACE_S 4

static const char *str(json_t *m, const char *key)
{
    return json_string_value(json_object_get(m, key));
}

static CgTestDaemon *start_daemon(const char *auth_extra, guint grace_s)
{
    g_autofree char *consults = g_strdup_printf("resume_grace_s = %u;", grace_s);
    CgTestDaemonOptions o = {.n_tenants = 1, .auth_extra = auth_extra, .consults_extra = consults};
    g_autoptr(GError) error = NULL;
    CgTestDaemon *d = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    return d;
}

/* SIGTERM: a clean exit (under ASan also: no leak) with seats held or not. */
static void stop_cleanly(CgTestDaemon *d)
{
    g_autoptr(GError) error = NULL;
    int status = -1;
    g_assert_true(cg_test_daemon_stop(d, 10000, &status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(status, ==, 0);
}

static gboolean lists(json_t *joined, const char *id)
{
    json_t *ps = json_object_get(joined, "participants");
    for (gsize i = 0; i < json_array_size(ps); i++)
        if (g_strcmp0(str(json_array_get(ps, i), "id"), id) == 0)
            return TRUE;
    return FALSE;
}

/* The resumed "joined": same seat, told it is a resume, with a new resume id,
 * listing the others of c->ids[0..n_in). */
static void expect_resumed(CgTestEndpoint *ep, CgTestConsult *c, guint n_in, guint me,
                           const char *old_resume)
{
    json_t *joined = cg_fx_wait(ep, "joined", CG_FX_REPLY_TIMEOUT_MS);
    if (!joined) {
        json_t *e = cg_fx_last(ep, "error");
        g_error("no joined after the resume; error %s (%s)", e ? str(e, "code") : "none",
                e ? str(e, "message") : "");
    }
    g_assert_true(json_is_true(json_object_get(joined, "resumed")));
    json_t *you = json_object_get(joined, "you");
    g_assert_cmpstr(str(you, "id"), ==, c->ids[me]);
    g_assert_cmpstr(str(you, "role"), ==, c->roles[me]);
    for (guint i = 0; i < n_in; i++)
        g_assert_true(lists(joined, c->ids[i]) == (i != me));
    g_assert_nonnull(cg_fx_resume_id(ep));
    g_assert_cmpstr(cg_fx_resume_id(ep), !=, old_resume);
    g_assert_null(cg_fx_last(ep, "waiting"));
}

/* The others heard nothing of @id: no participant_left, no (second) participant_joined. */
static void expect_unnoticed(CgTestEndpoint **others, guint n, const char *id, guint joined_before)
{
    for (guint i = 0; i < n; i++) {
        json_t *left = cg_fx_last(others[i], "participant_left");
        if (left)
            g_error("endpoint %u was told participant_left %s (%s)", i, str(left, "participant"),
                    str(left, "reason"));
        g_assert_cmpuint(cg_fx_count_about(others[i], "participant_joined", id), <=, joined_before);
    }
}

/* Media goes on both ways while the socket is away. */
static void expect_media_goes_on(CgTestEndpoint *a, const char *a_id, CgTestEndpoint *b,
                                 const char *b_id)
{
    cg_fx_wait_frames(a, b_id, cg_test_endpoint_frames_from(a, b_id) + 10);
    cg_fx_wait_frames(b, a_id, cg_test_endpoint_frames_from(b, a_id) + 10);
}

static void expect_refused(CgTestDaemon *d, CgTestConsult *c, guint who, const char *resume)
{
    g_autoptr(CgTestEndpoint) ep = cg_fx_endpoint_resuming(PORT(d), c->tokens[who], resume);
    cg_fx_expect_error(ep, "resume_refused");
    cg_fx_assert_closed(cg_test_endpoint_wss(ep), 1008, "resume_refused", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_null(cg_fx_last(ep, "joined"));
}

static void test_drop_and_resume(void)
{
    g_autoptr(CgTestDaemon) d = start_daemon(NULL, GRACE_S);
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", 0, 30,
                         (const char *const[]){"specialist", "provider", "patient", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0xff4020, 440);
    /* the specialist first, so nobody was ever told participant_joined of it */
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), c->tokens[1], 0x20ff40, 550);
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[2], 0x2080ff, 660);
    cg_fx_expect_waiting_list(spec, (const char *const[]){c->ids[2], NULL});
    cg_fx_send(spec, "admit", c->ids[2]);
    CgTestEndpoint *all[] = {spec, provider, patient};
    for (guint i = 0; i < 3; i++)
        for (guint j = 0; j < 3; j++)
            if (i != j)
                cg_fx_wait_frames(all[i], c->ids[j], 5);
    json_t *resume = json_object_get(cg_fx_last(spec, "joined"), "resume");
    g_assert_cmpint(json_integer_value(json_object_get(resume, "grace_s")), ==, GRACE_S);
    g_autofree char *resume_id = g_strdup(cg_fx_resume_id(spec));
    g_assert_nonnull(resume_id);
    g_assert_false(cg_test_daemon_log_contains(d, resume_id)); /* a secret: never logged */

    /* The cut: the seat is held, nobody is told, media flows on. */
    cg_test_endpoint_drop(spec);
    g_assert_true(cg_test_daemon_wait_log(d, "seat held", CG_FX_REPLY_TIMEOUT_MS));
    expect_media_goes_on(spec, c->ids[0], provider, c->ids[1]);
    CgTestEndpoint *others[] = {provider, patient};
    expect_unnoticed(others, 2, c->ids[0], 0);

    /* Back on a new socket: the same seat. */
    cg_test_endpoint_reconnect(spec, PORT(d), resume_id);
    expect_resumed(spec, c, 3, 0, resume_id);
    g_autofree char *resume_id2 = g_strdup(cg_fx_resume_id(spec));
    json_t *audit = cg_fx_audit(d, c);
    g_assert_cmpuint(cg_fx_audit_count(audit, "join", c->ids[0]), ==, 1);
    g_assert_cmpuint(cg_fx_audit_count(audit, "resume", c->ids[0]), ==, 1);
    json_decref(audit);
    /* still the host */
    cg_fx_send(spec, "mute", c->ids[1]);
    json_t *muted = cg_fx_wait(provider, "muted", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(muted);
    g_assert_cmpstr(str(json_object_get(muted, "by"), "id"), ==, c->ids[0]);
    expect_media_goes_on(spec, c->ids[0], patient, c->ids[2]);
    expect_unnoticed(others, 2, c->ids[0], 0);

    /* An id used once, or made up, takes nothing; the seat is unharmed. */
    expect_refused(d, c, 0, resume_id);
    expect_refused(d, c, 0, "r-aaaaaaaaaaaaaaaaaaaaaaaaaa");
    g_assert_true(cg_wss_client_is_open(cg_test_endpoint_wss(spec)));
    expect_unnoticed(others, 2, c->ids[0], 0);

    /* Cut again and not resumed: gone after the grace period. */
    cg_test_endpoint_drop(spec);
    gint64 dropped = g_get_monotonic_time();
    for (guint i = 0; i < 2; i++) {
        json_t *left = cg_fx_wait(others[i], "participant_left", (GRACE_S + 4) * 1000);
        g_assert_nonnull(left);
        g_assert_cmpstr(str(left, "participant"), ==, c->ids[0]);
        g_assert_cmpstr(str(left, "reason"), ==, "connection_lost");
    }
    gint64 held_ms = (g_get_monotonic_time() - dropped) / 1000;
    g_test_message("seat given up %" G_GINT64_FORMAT " ms after the drop", held_ms);
    g_assert_cmpint(held_ms, >=, (GRACE_S - 1) * 1000);
    expect_refused(d, c, 0, resume_id2);
    /* the others go on without it */
    expect_media_goes_on(provider, c->ids[1], patient, c->ids[2]);
    stop_cleanly(d);
}

/* A resume while the old socket still looks open (a half-dead connection):
 * the new socket takes the seat, the old one is closed session_replaced. A
 * waiting endpoint holds no seat: its drop empties the waiting list at once. */
static void test_resume_replaces_open_socket(void)
{
    g_autoptr(CgTestDaemon) d = start_daemon(NULL, GRACE_S);
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", 0, 30,
                         (const char *const[]){"specialist", "provider", "patient", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_nonnull(cg_fx_wait(provider, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_autofree char *resume_id = g_strdup(cg_fx_resume_id(provider));

    g_autoptr(CgTestEndpoint) again = cg_fx_endpoint_resuming(PORT(d), c->tokens[1], resume_id);
    expect_resumed(again, c, 2, 1, resume_id);
    cg_fx_expect_error(provider, "session_replaced");
    cg_fx_assert_closed(cg_test_endpoint_wss(provider), 1008, "session_replaced",
                        CG_FX_REPLY_TIMEOUT_MS);
    cg_fx_send(again, "media_state", NULL); /* malformed: the socket answers, stays open */
    cg_fx_expect_error(again, "malformed_message");
    g_assert_true(cg_wss_client_is_open(cg_test_endpoint_wss(again)));
    CgTestEndpoint *others[] = {spec};
    expect_unnoticed(others, 1, c->ids[1], 1);

    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[2], 0, 0);
    cg_fx_expect_waiting_list(spec, (const char *const[]){c->ids[2], NULL});
    g_assert_null(json_object_get(cg_fx_last(patient, "waiting"), "resume"));
    cg_test_endpoint_drop(patient);
    cg_fx_expect_waiting_list(spec, (const char *const[]){NULL});
    /* a seat still held when consultd stops goes with it */
    cg_test_endpoint_drop(again);
    g_assert_true(cg_test_daemon_wait_log(d, "seat held", CG_FX_REPLY_TIMEOUT_MS));
    stop_cleanly(d);
}

/* The seat is not held past the token's exp: resuming then is token_expired. */
static void test_not_past_the_token(void)
{
    /* a long grace, a token with ~3 s left: the token decides */
    g_autoptr(CgTestDaemon) d = start_daemon("clock_skew_s = 0;", 3 * GRACE_S);
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(
        d, "virtual_consult", 0, 30, (const char *const[]){"specialist", "provider", NULL});
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *token =
        cg_fx_mint_token(cg_test_daemon_secret(d, 0), "HS256", cg_test_daemon_tenant_id(d, 0),
                         c->ids[1], c->id, "provider", now - 60, now + 3);
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), token, 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_nonnull(cg_fx_wait(provider, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_autofree char *resume_id = g_strdup(cg_fx_resume_id(provider));
    cg_test_endpoint_drop(provider);
    /* held for the <= 4 s the token has left (it verifies through the
     * second exp), not the 12 s grace */
    json_t *left = cg_fx_wait(spec, "participant_left", 2 * GRACE_S * 1000);
    g_assert_nonnull(left);
    g_assert_cmpstr(str(left, "reason"), ==, "connection_lost");
    g_autoptr(CgTestEndpoint) late = cg_fx_endpoint_resuming(PORT(d), token, resume_id);
    cg_fx_expect_error(late, "token_expired");
    cg_fx_assert_closed(cg_test_endpoint_wss(late), 1008, "token_expired", CG_FX_REPLY_TIMEOUT_MS);
    stop_cleanly(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult-flow/resume/drop-and-resume", test_drop_and_resume);
    g_test_add_func("/consult-flow/resume/replaces-open-socket", test_resume_replaces_open_socket);
    g_test_add_func("/consult-flow/resume/not-past-the-token", test_not_past_the_token);
    return g_test_run();
}
