/* integration-consult-flow-restart: kill -9 consultd mid-consult, start it
 * again on the same dir and database, and the admitted patient rejoins with
 * its same token without the waiting room; media flows again; the audit
 * chain (joins, admission, refusals) still verifies after a clean stop. */
#include <string.h>

#include "consult_fixture.h"

#include "audit.h"
#include "store.h"

static void test_restart(void)
{
    g_autoptr(CgTestDaemon) d = cg_fx_daemon_start(&(CgTestDaemonOptions){.n_tenants = 1});
    g_autoptr(CgTestConsult) c = cg_fx_consult_at(
        d, "virtual_consult", 0, 30, (const char *const[]){"specialist", "patient", NULL});
    const char *spec_id = c->ids[0], *patient_id = c->ids[1];
    const char *dir = cg_test_daemon_dir(d);
    {
        g_autoptr(CgTestEndpoint) spec = cg_fx_endpoint(
            cg_test_daemon_port(d), cg_test_daemon_certificate(d), c->tokens[0], 0xff4020, 440);
        g_autoptr(CgTestEndpoint) patient = cg_fx_endpoint(
            cg_test_daemon_port(d), cg_test_daemon_certificate(d), c->tokens[1], 0x2080ff, 660);
        g_assert_nonnull(cg_fx_wait(patient, "waiting", CG_FX_REPLY_TIMEOUT_MS));
        cg_fx_expect_waiting_list(spec, (const char *const[]){patient_id, NULL});
        cg_fx_send(spec, "admit", patient_id);
        g_assert_nonnull(cg_fx_wait(patient, "joined", CG_FX_REPLY_TIMEOUT_MS));
        cg_fx_wait_frames(spec, patient_id, 5);
        cg_test_daemon_kill(d); /* SIGKILL mid-consult */
        g_assert_true(
            cg_wss_client_wait_closed(cg_test_endpoint_wss(spec), CG_FX_REPLY_TIMEOUT_MS));
    }

    cg_fx_daemon_restart(d);                               /* on the same dir and database */
    GTlsCertificate *cert = cg_test_daemon_certificate(d); /* same file, reused */
    {
        g_autoptr(CgTestEndpoint) spec =
            cg_fx_endpoint(cg_test_daemon_port(d), cert, c->tokens[0], 0xff4020, 440);
        g_autoptr(CgTestEndpoint) patient =
            cg_fx_endpoint(cg_test_daemon_port(d), cert, c->tokens[1], 0x2080ff, 660);
        g_assert_nonnull(cg_fx_wait(patient, "joined", CG_FX_REPLY_TIMEOUT_MS));
        g_assert_null(cg_fx_last(patient, "waiting"));
        g_assert_nonnull(cg_fx_wait(spec, "joined", CG_FX_REPLY_TIMEOUT_MS));
        cg_fx_wait_frames(patient, spec_id, 5);
        cg_fx_wait_frames(spec, patient_id, 5);
    }
    cg_fx_daemon_stop_clean(d, 10000);

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
    g_autofree char *json =
        cg_audit_consult_json(store, cg_test_daemon_tenant_id(d, 0), c->id, &error);
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
