/* integration-consult-flow-restart: kill -9 consultd mid-consult, start it
 * again on the same dir and database, and the admitted patient rejoins with
 * its same token without the waiting room; media flows again; the audit
 * chain (joins, admission, refusals) still verifies after a clean stop. */
#include <string.h>

#include "flow_common.h"

#include "audit.h"
#include "store.h"

static void test_restart(void)
{
    g_autoptr(CgTestDaemon) d = flow_start_daemon(1, NULL);
    g_autoptr(FlowConsult) c = flow_create(d, "virtual_consult", 0, 30,
                                           (const char *const[]){"specialist", "patient", NULL});
    const char *spec_id = c->ids[0], *patient_id = c->ids[1];
    g_autofree char *dir = flow_daemon_dir(d);
    {
        g_autoptr(FlowEp) spec = flow_ep_new(cg_test_daemon_port(d),
                                             cg_test_daemon_certificate(d), c->tokens[0],
                                             0xff4020, 440);
        g_autoptr(FlowEp) patient = flow_ep_new(cg_test_daemon_port(d),
                                                cg_test_daemon_certificate(d), c->tokens[1],
                                                0x2080ff, 660);
        g_assert_nonnull(flow_ep_wait(patient, "waiting", FLOW_TIMEOUT_MS));
        flow_ep_expect_waiting_list(spec, (const char *const[]){patient_id, NULL});
        flow_ep_send(spec, "admit", patient_id);
        g_assert_nonnull(flow_ep_wait(patient, "joined", FLOW_TIMEOUT_MS));
        flow_ep_expect_frames(spec, patient_id, 5);
        cg_test_daemon_kill(d); /* SIGKILL mid-consult */
        g_assert_true(cg_wss_client_wait_closed(flow_ep_wss(spec), FLOW_TIMEOUT_MS));
    }

    FlowDaemon *again = flow_respawn(dir);
    GTlsCertificate *cert = cg_test_daemon_certificate(d); /* same file, reused */
    {
        g_autoptr(FlowEp) spec = flow_ep_new(flow_daemon_port(again), cert, c->tokens[0],
                                             0xff4020, 440);
        g_autoptr(FlowEp) patient = flow_ep_new(flow_daemon_port(again), cert, c->tokens[1],
                                                0x2080ff, 660);
        g_assert_nonnull(flow_ep_wait(patient, "joined", FLOW_TIMEOUT_MS));
        g_assert_null(flow_ep_last(patient, "waiting"));
        g_assert_nonnull(flow_ep_wait(spec, "joined", FLOW_TIMEOUT_MS));
        flow_ep_expect_frames(patient, spec_id, 5);
        flow_ep_expect_frames(spec, patient_id, 5);
    }
    flow_daemon_stop(again);
    flow_daemon_free(again);

    g_autofree char *db = g_build_filename(dir, "consultd.db", NULL);
    g_autoptr(GError) error = NULL;
    CgStore *store = cg_store_open(db, &error);
    g_assert_no_error(error);
    /* the chain is keyed with the key file consultd made on first start */
    g_autofree char *key_path = g_build_filename(dir, "var", "audit.key", NULL);
    g_autoptr(GBytes) key = cg_audit_read_key_file(key_path, &error);
    g_assert_no_error(error);
    cg_audit_set_key(key);
    gint64 broken_at = -1;
    guint64 records = 0;
    gboolean ok = cg_audit_verify(store, &broken_at, &records, &error);
    cg_audit_set_key(NULL);
    g_assert_no_error(error);
    if (!ok)
        g_error("audit chain breaks at record %" G_GINT64_FORMAT, broken_at);
    /* create, 2 joins + admit, 2 joins after the restart at the least */
    g_assert_cmpuint(records, >=, 6);
    g_autofree char *json = cg_audit_consult_json(store, c->tenant, c->id, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(json, "\"admit\""));
    g_assert_nonnull(strstr(json, "\"waiting\""));
    cg_store_close(store);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult-flow/restart", test_restart);
    return g_test_run();
}
