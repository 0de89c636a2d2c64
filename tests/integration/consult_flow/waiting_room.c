/* integration-consult-flow-waiting_room: a patient waits (no media) until a
 * specialist admits it, then both decode each other; nobody but a specialist
 * admits; a declined patient is told and closed. */
#include "consult_fixture.h"

#define PORT(d) cg_test_daemon_port(d), cg_test_daemon_certificate(d)

static void test_admit(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c =
        cg_fx_consult_at(d, "virtual_consult", 0, 30,
                         (const char *const[]){"specialist", "patient", "provider", NULL});
    const char *spec_id = c->ids[0], *patient_id = c->ids[1];
    /* The patient comes first: waiting, told no specialist is there yet. */
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0x2080ff, 660);
    json_t *w = cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(w);
    g_assert_false(json_is_true(json_object_get(w, "specialist_present")));
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(w, "you"), "id")), ==,
                    patient_id);
    /* A provider is admitted directly but cannot admit anyone. */
    g_autoptr(CgTestEndpoint) provider = cg_fx_endpoint(PORT(d), c->tokens[2], 0, 0);
    g_assert_nonnull(cg_fx_wait(provider, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_null(cg_fx_last(provider, "waiting_list"));
    cg_fx_send(provider, "admit", patient_id);
    cg_fx_expect_error(provider, "not_allowed");
    g_assert_false(cg_wss_client_is_closed(cg_test_endpoint_wss(provider)));
    /* The patient is not among the provider's participants. */
    json_t *pj = cg_fx_last(provider, "joined");
    g_assert_cmpuint(json_array_size(json_object_get(pj, "participants")), ==, 0);

    /* The specialist joins and sees the waiting list; the patient hears of it. */
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0xff4020, 440);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_expect_waiting_list(spec, (const char *const[]){patient_id, NULL});
    json_t *status = cg_fx_wait(patient, "waiting_status", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(status);
    g_assert_true(json_is_true(json_object_get(status, "specialist_present")));
    /* Still waiting: only an admit lets it in, and it published nothing. */
    g_assert_false(cg_test_endpoint_joined(patient));
    g_assert_null(cg_test_endpoint_peer(patient));
    /* A waiting peer has no media path: a well-formed offer is refused. */
    cg_wss_client_send_text(cg_test_endpoint_wss(patient),
                            "{\"type\":\"offer\",\"pc\":\"pub\",\"sdp\":\"v=0\\r\\n\"}", -1);
    cg_fx_expect_error(patient, "not_admitted");

    cg_fx_send(spec, "admit", patient_id);
    g_assert_nonnull(cg_fx_wait(patient, "joined", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_expect_waiting_list(spec, (const char *const[]){NULL});
    cg_fx_wait_frames(patient, spec_id, 10);
    cg_fx_wait_frames(spec, patient_id, 10);

    /* Admitting again: nobody of that id waits. */
    cg_fx_send(spec, "admit", patient_id);
    cg_fx_expect_error(spec, "unknown_participant");

    /* A rejoin (new connection) skips the waiting room: admitted is stored. */
    g_clear_pointer(&patient, cg_test_endpoint_free);
    g_autoptr(CgTestEndpoint) again = cg_fx_endpoint(PORT(d), c->tokens[1], 0x2080ff, 660);
    g_assert_nonnull(cg_fx_wait(again, "joined", CG_FX_REPLY_TIMEOUT_MS));
    g_assert_null(cg_fx_last(again, "waiting"));
}

static void test_decline(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(
        d, "virtual_consult", 0, 30, (const char *const[]){"specialist", "patient", NULL});
    g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(PORT(d), c->tokens[0], 0, 0);
    g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
    cg_fx_expect_waiting_list(spec, (const char *const[]){NULL});
    g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    json_t *w = cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_nonnull(w);
    g_assert_true(json_is_true(json_object_get(w, "specialist_present")));
    cg_fx_expect_waiting_list(spec, (const char *const[]){c->ids[1], NULL});
    cg_fx_send(spec, "decline", c->ids[1]);
    cg_fx_expect_error(patient, "declined");
    cg_fx_assert_closed(cg_test_endpoint_wss(patient), 1008, "declined", CG_FX_REPLY_TIMEOUT_MS);
    g_assert_false(cg_test_endpoint_joined(patient));
    cg_fx_expect_waiting_list(spec, (const char *const[]){NULL});
    /* Declining is not removal: the patient may knock again. */
    g_autoptr(CgTestEndpoint) again = cg_fx_endpoint(PORT(d), c->tokens[1], 0, 0);
    g_assert_nonnull(cg_fx_wait(again, "waiting", CG_FX_REPLY_TIMEOUT_MS));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult-flow/waiting-room/admit", test_admit);
    g_test_add_func("/consult-flow/waiting-room/decline", test_decline);
    return g_test_run();
}
